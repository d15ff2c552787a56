"""Erasure on the Spark engine: the warehouse's tables (``analytics/spark``, versions of Parquet
parts written by Spark) are rewritten without the person, and Spark reads them afterwards."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

pytestmark = pytest.mark.spark

PHONE = "13912345678"


@pytest.fixture
def spark_home(home: Path) -> Iterator[Any]:
    pytest.importorskip("pyspark")
    from omniretail.platform.config import get_settings
    from omniretail.platform.engine.spark import SparkEngine, build_session

    settings = get_settings()
    session = build_session("local[2]")
    engine = SparkEngine(session=session, warehouse=settings.analytics_dir / "spark")
    yield engine, settings
    engine.close()
    session.stop()


def test_erase_rewrites_the_spark_warehouse(spark_home: Any) -> None:
    from omniretail.platform.engine import warehouse
    from omniretail.platform.engine.spark import SparkEngine
    from omniretail.platform.privacy import files
    from omniretail.platform.privacy.subject import Subject

    engine, settings = spark_home
    engine.register_arrow("customers", pa.table({
        "customer_id": ["C000000001", "C000000002"], "phone": [PHONE, "13800000002"],
        "name": ["张小明", "李四"]}))  # fmt: skip
    engine.register_arrow("orders", pa.table({
        "order_id": ["O1", "O2", "O3"], "customer_id": ["C000000001", "C000000002", "C000000001"],
        "paid_amount": [10.0, 20.0, 30.0], "note": [f"call {PHONE}", "", ""]}))  # fmt: skip
    root = files.spark_warehouse(settings)
    before = warehouse.current_tables(root)
    assert set(before) == {"customers", "orders"}

    subject = Subject.build(["C000000001"], phones=[PHONE], names=["张小明"])
    counts = files.erase_analytics(subject, settings)
    assert counts["spark/customers"] == 1
    assert counts["spark/orders"] >= 2

    after = warehouse.current_tables(root)
    assert all(after[t] != before[t] and not before[t].exists() for t in before)  # old data gone
    for p in root.rglob("*"):
        if p.is_file():
            data = p.read_bytes()
            assert PHONE.encode() not in data, p
            assert "张小明".encode() not in data, p
    # Spark reads the rewritten tables (a fresh engine on the warehouse, as the next run)
    reader = SparkEngine(session=engine.spark, warehouse=root)
    assert reader.fetch_rows("SELECT customer_id FROM customers") == [{"customer_id": "C000000002"}]
    orders = reader.fetch_rows("SELECT order_id, customer_id, paid_amount FROM orders "
                               "ORDER BY order_id")  # fmt: skip
    assert [(o["order_id"], o["customer_id"]) for o in orders] == [
        ("O1", None), ("O2", "C000000002"), ("O3", None)]  # fmt: skip
    assert sum(o["paid_amount"] for o in orders) == 60.0  # the figures stay
    # the export sees nothing of them any more, and did before (in another test's words)
    assert files.export_analytics(subject, settings) == {}
