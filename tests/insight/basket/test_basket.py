"""Market-basket pairs against a direct count over the orders."""

from __future__ import annotations

import pytest

from omniretail.insight.basket import service


def test_category_pair_support_confidence_lift(insight_duckdb, small_world) -> None:
    lines = small_world["order_lines"].to_pandas()
    orders = small_world["orders"].to_pandas()
    products = small_world["dim_product"].to_pandas()
    m = lines.merge(orders[["source", "order_id", "status"]], on=["source", "order_id"])
    m = m[m.status == "paid"].merge(products[["sku", "category_code"]], on="sku")
    baskets = m.groupby(["source", "order_id"]).category_code.apply(set)
    n = len(baskets)
    top = service.top_pairs(insight_duckdb, level="category", by="lift", limit=5)
    assert top == sorted(top, key=lambda r: -r["lift"])
    for rule in top:
        a, c = rule["antecedent"], rule["consequent"]
        both = sum(1 for b in baskets if a in b and c in b)
        with_a = sum(1 for b in baskets if a in b)
        with_c = sum(1 for b in baskets if c in b)
        assert rule["orders_ab"] == both
        assert rule["support"] == pytest.approx(both / n, abs=1e-6)
        assert rule["confidence"] == pytest.approx(both / with_a, abs=1e-6)
        assert rule["lift"] == pytest.approx(both * n / (with_a * with_c), abs=1e-6)


def test_bundles_and_network(insight_duckdb) -> None:
    bundles = service.top_bundles(insight_duckdb, limit=10)
    assert bundles
    assert all("+" in b["antecedent"] for b in bundles)
    net = service.category_network(insight_duckdb)
    ids = {node["id"] for node in net["nodes"]}
    assert net["edges"]
    assert all(e["source"] in ids and e["target"] in ids for e in net["edges"])
    sku = service.top_pairs(insight_duckdb, level="sku", by="support", limit=3)
    assert all(r["level"] == "sku" for r in sku)
    assert len(sku) == 3


def test_network_names_categories_from_the_category_master() -> None:
    """The demo world's product export carries a category code and no name; the names are in
    the category master (dim_category). The network chart showed `duck_neck` instead of 鸭脖."""
    from omniretail.platform.engine.duckdb import DuckDBEngine

    engine = DuckDBEngine()
    engine.execute(
        "CREATE TABLE basket_pairs AS SELECT * FROM (VALUES "
        "('category', 'duck_neck', 'nuts', 5, 8, 1.4, 0.1), "
        "('category', 'nuts', 'duck_neck', 5, 9, 1.4, 0.1), "
        "('category', 'tea', 'nuts', 2, 3, 1.1, 0.05)) "
        "t(level, antecedent, consequent, orders_ab, orders_antecedent, lift, support)"
    )
    engine.execute(
        "CREATE TABLE dim_product AS SELECT * FROM (VALUES "
        "('1', 'duck_neck', NULL), ('2', 'nuts', NULL), ('3', 'tea', '茶饮')) "
        "t(sku, category_code, category_name)"
    )
    names = {n["id"]: n["name"] for n in service.category_network(engine)["nodes"]}
    assert names == {"duck_neck": None, "nuts": None, "tea": "茶饮"}  # no master: the products'
    engine.execute(
        "CREATE TABLE dim_category AS SELECT * FROM (VALUES "
        "('duck_neck', '鸭脖'), ('nuts', '坚果')) t(category_code, name)"
    )
    names = {n["id"]: n["name"] for n in service.category_network(engine)["nodes"]}
    assert names == {"duck_neck": "鸭脖", "nuts": "坚果", "tea": "茶饮"}
    engine.close()
