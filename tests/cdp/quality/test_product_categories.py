"""``dim_product`` takes its category name, parent and replenishment cycle from the category
master when the product export carries only the category code (the ERP's product list, the
demo world's products.csv); values the product export gives are kept."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.cdp.quality.helpers import import_text, standardize

CATEGORIES = """category_code,category_name,parent_code,replenish_days
nuts,坚果,,30
daily_nuts,每日坚果,nuts,14
cashew,腰果,nuts,
drinks,饮料,,10
"""

PRODUCTS = """sku,name,category_code,category_name,replenish_days
100001,每日坚果 25g,daily_nuts,,
100002,盐焗腰果 100g,cashew,,
100003,奶茶 300ml,drinks,奶茶饮品,7
100004,无品类商品,,,
100005,未知品类商品,gone,,
"""

CATEGORY_MAPPING = """
source: master
format: csv
entities:
  - kind: category
    fields:
      category_code: {column: category_code}
      name: {column: category_name}
      parent_code: {column: parent_code}
      replenish_days: {column: replenish_days, type: int}
"""

PRODUCT_MAPPING = """
source: master
format: csv
entities:
  - kind: product
    fields:
      sku: {column: sku}
      name: {column: name}
      category_code: {column: category_code}
      category_name: {column: category_name}
      replenish_days: {column: replenish_days, type: int}
"""


def _products(tmp_path: Path, *, with_master: bool = True) -> dict[str, dict[str, Any]]:
    if with_master:
        c = tmp_path / "categories.csv"
        c.write_text(CATEGORIES, encoding="utf-8")
        import_text(CATEGORY_MAPPING, [c])
    p = tmp_path / "products.csv"
    p.write_text(PRODUCTS, encoding="utf-8")
    import_text(PRODUCT_MAPPING, [p])
    eng, _ = standardize()
    try:
        return {r["sku"]: r for r in eng.fetch_rows("SELECT * FROM dim_product")}
    finally:
        eng.close()


def test_category_columns_come_from_the_category_master(
    sqlite_session: Any, tmp_path: Path
) -> None:
    got = _products(tmp_path)
    nuts = got["100001"]
    assert (nuts["category_name"], nuts["parent_category_code"], nuts["replenish_days"]) == (
        "每日坚果", "nuts", 14
    )  # fmt: skip
    assert "filled:category" in nuts["fixes"]
    # a sub-category without its own cycle takes its parent's
    cashew = got["100002"]
    assert (cashew["category_name"], cashew["replenish_days"]) == ("腰果", 30)
    # what the product export says wins; only the missing parent is filled
    tea = got["100003"]
    assert (tea["category_name"], tea["parent_category_code"], tea["replenish_days"]) == (
        "奶茶饮品", None, 7
    )  # fmt: skip
    assert "filled:category" not in (tea["fixes"] or [])
    # no category, or a code the master does not know: nothing invented
    for sku in ("100004", "100005"):
        row = got[sku]
        assert (row["category_name"], row["parent_category_code"], row["replenish_days"]) == (
            None, None, None
        )  # fmt: skip
        assert "filled:category" not in (row["fixes"] or [])


def test_without_a_category_master_products_are_unchanged(
    sqlite_session: Any, tmp_path: Path
) -> None:
    got = _products(tmp_path, with_master=False)
    assert len(got) == 5
    assert got["100001"]["category_name"] is None
    assert got["100003"]["replenish_days"] == 7


def _master(engine: Any) -> None:
    import pyarrow as pa

    engine.register_arrow(
        "dim_category",
        pa.table(
            {
                "category_code": ["nuts", "daily_nuts", "cashew"],
                "name": ["坚果", "每日坚果", "腰果"],
                "parent_code": [None, "nuts", "nuts"],
                "replenish_days": pa.array([30, 14, None], type=pa.int32()),
            }
        ),
    )
    engine.register_arrow(
        "dim_product",
        pa.table(
            {
                "sku": ["1", "2", "3", "4"],
                "category_code": ["daily_nuts", "cashew", "nuts", None],
                "category_name": [None, None, "坚果类", None],
                "parent_category_code": pa.array([None] * 4, type=pa.string()),
                "replenish_days": pa.array([None, None, 20, None], type=pa.int32()),
                "fixes": pa.array([[], None, ["x"], []], type=pa.list_(pa.string())),
            }
        ),
    )


@pytest.mark.spark
def test_same_products_on_spark_and_duckdb() -> None:
    pytest.importorskip("pyspark")
    from omniretail.cdp.quality.finalize import enrich_products
    from omniretail.platform.engine.duckdb import DuckDBEngine
    from omniretail.platform.engine.spark import SparkEngine, build_session

    got = []
    for engine in (DuckDBEngine(), SparkEngine(session=build_session("local[2]"))):
        with engine:
            _master(engine)
            enrich_products(engine)
            got.append(engine.fetch_rows("SELECT * FROM dim_product ORDER BY sku"))
    assert got[0] == got[1]
    assert [(r["category_name"], r["replenish_days"], r["fixes"]) for r in got[0]] == [
        ("每日坚果", 14, ["filled:category"]),
        ("腰果", 30, ["filled:category"]),
        ("坚果类", 20, ["x"]),
        (None, None, []),
    ]
