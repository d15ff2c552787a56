"""The incremental refresh gives exactly what a full refresh gives, while recomputing the order
aggregates of only some customers.

The world is cut in time (orders, events and reviews), so that each increment moves the
reference day and old orders cross the 30/90/180/365/730-day window boundaries: the carried-over
customers' windowed values must still be right."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from omniretail.platform.engine.base import AnalyticsEngine
from omniretail.platform.engine.duckdb import DuckDBEngine
from tests.insight.conftest import load_world, run_insight

TABLES = {
    "ins_order_facts": "source, order_id",
    "ins_customer_sku_day": None,  # partial aggregates: compared re-summed below
    "ins_customer_sku": "customer_id, sku",
    "ins_customer_category_day": "category_code, order_day, customer_id",
    "ins_customer_orders": "customer_id",
    "customer_features": "customer_id",
    "rfm": "customer_id",
    "lifecycle": "customer_id",
    "customer_tags": "customer_id",
    "kpi_daily": "day, store_code, channel_code",
    "kpi_summary": "as_of",
    "basket_pairs": "level, antecedent, consequent",
    "basket_bundles": "antecedent, consequent",
    "ins_basket_counts": "level, kind, a, b, c",
}
SKU_DAY = (
    "SELECT customer_id, sku, order_day, sum(units) AS units, sum(amount) AS amount, "
    "sum(new_units) AS new_units, sum(price_index_units) AS price_index_units "
    "FROM ins_customer_sku_day GROUP BY ALL ORDER BY ALL"
)


def _cut(engine: AnalyticsEngine, day: object) -> None:
    """Show the engine the world as it was at the end of ``day``."""
    end = f"TIMESTAMP '{day}' + INTERVAL 1 DAY"
    engine.materialize("orders", f"SELECT * FROM all_orders WHERE ordered_at < {end}")
    engine.materialize("events", f"SELECT * FROM all_events WHERE occurred_at < {end}")
    engine.materialize("reviews", f"SELECT * FROM all_reviews WHERE created_at < {end}")


def _rounded(table: pa.Table) -> pa.Table:
    """Doubles to 9 decimals: sums of partial doubles in another order differ in the last bit."""
    for i, field in enumerate(table.schema):
        if pa.types.is_floating(field.type):
            table = table.set_column(i, field, pc.round(table.column(i), 9))
    return table


def _snapshot(engine: DuckDBEngine) -> dict[str, pa.Table]:
    out = {
        t: _rounded(engine.fetch_arrow(f"SELECT * FROM {t} ORDER BY {key}"))
        for t, key in TABLES.items()
        if key is not None
    }
    out["ins_customer_sku_day"] = _rounded(engine.fetch_arrow(SKU_DAY))
    return out


def _engine(world: dict[str, pa.Table]) -> DuckDBEngine:
    engine = DuckDBEngine()
    load_world(engine, world)
    for t in ("orders", "events", "reviews"):
        engine.materialize(f"all_{t}", f"SELECT * FROM {t}")
    return engine


def test_incremental_equals_full_as_the_reference_day_moves(small_world, tmp_path: Path) -> None:
    chain, reference = _engine(small_world), _engine(small_world)
    last = chain.scalar("SELECT max(CAST(ordered_at AS DATE)) FROM all_orders")
    days = [last - timedelta(days=40), last - timedelta(days=9), last]
    _cut(chain, days[0])
    assert run_insight(chain, tmp_path)["insight.features"]["mode"] == "full"
    for day in days[1:]:
        _cut(chain, day)
        out = run_insight(chain, tmp_path, full=False)["insight.features"]
        assert out["mode"] == "incremental"
        assert out["new_orders"] > 0
        # less work: only some customers' order aggregates were recomputed
        assert 0 < out["recomputed_customers"] < out["customers"]
        buyers = chain.scalar(
            "SELECT count(DISTINCT o.customer_id) FROM orders o "
            "JOIN ins_new_orders n ON n.source = o.source AND n.order_id = o.order_id"
        )
        assert out["recomputed_customers"] > buyers  # and those crossing a window boundary
        _cut(reference, day)
        run_insight(reference, tmp_path, full=True)
        incremental, full = _snapshot(chain), _snapshot(reference)
        for table in TABLES:
            assert incremental[table].num_rows == full[table].num_rows > 0, table
            assert incremental[table].equals(full[table]), table
    chain.close()
    reference.close()


def test_nothing_new_recomputes_nobody(small_world, tmp_path: Path) -> None:
    engine = _engine(small_world)
    _cut(engine, engine.scalar("SELECT max(CAST(ordered_at AS DATE)) FROM all_orders"))
    run_insight(engine, tmp_path, full=True)
    before = _snapshot(engine)
    out = run_insight(engine, tmp_path, full=False)["insight.features"]
    assert (out["mode"], out["new_orders"], out["recomputed_customers"]) == ("incremental", 0, 0)
    after = _snapshot(engine)
    for table in TABLES:
        assert after[table].equals(before[table]), table
    engine.close()


@pytest.mark.spark
def test_incremental_on_spark_equals_full_on_duckdb(small_world, tmp_path: Path) -> None:
    """The incremental path's SQL (carry-over, boundary crossing, basket counts) on Spark."""
    pytest.importorskip("pyspark")
    from omniretail.platform.engine.spark import SparkEngine, build_session

    spark = SparkEngine(session=build_session("local[2]", shuffle_partitions=2))
    reference = _engine(small_world)
    load_world(spark, small_world)
    for t in ("orders", "events", "reviews"):
        spark.materialize(f"all_{t}", f"SELECT * FROM {t}")
    last = reference.scalar("SELECT max(CAST(ordered_at AS DATE)) FROM all_orders")
    _cut(spark, last - timedelta(days=20))
    run_insight(spark, tmp_path / "spark")
    _cut(spark, last)
    out = run_insight(spark, tmp_path / "spark", full=False)["insight.features"]
    assert out["mode"] == "incremental"
    assert 0 < out["recomputed_customers"] < out["customers"]
    _cut(reference, last)
    run_insight(reference, tmp_path / "duck", full=True)
    for table in ("customer_tags", "basket_pairs"):
        key = TABLES[table]
        got = [
            {k: round(v, 9) if isinstance(v, float) else v for k, v in r.items()}
            for r in spark.fetch_rows(f"SELECT * FROM {table} ORDER BY {key}")
        ]
        want = [
            {k: round(v, 9) if isinstance(v, float) else v for k, v in r.items()}
            for r in reference.fetch_rows(f"SELECT * FROM {table} ORDER BY {key}")
        ]
        assert got == want, table
    spark.close()
    reference.close()
