"""The next replenishment of a customer when two categories fall due on the same day: the same
on DuckDB and on Spark (the published customer_scores of the two engines are compared row by
row in tests/platform/test_spark_cluster.py)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pyarrow as pa
import pytest

from omniretail.insight.clv.pipeline import _replenishment_summary
from omniretail.platform.engine.duckdb import DuckDBEngine

pytestmark = pytest.mark.spark


@pytest.fixture(scope="module")
def spark() -> Any:
    pytest.importorskip("pyspark")
    from omniretail.platform.engine.spark import build_session

    return build_session("local[2]", shuffle_partitions=2)


def test_next_replenishment_category_breaks_ties_by_name(spark) -> None:
    """Two categories due on the same day: both engines name the first by name, whichever row
    each engine meets first (arg_min on the due date alone returned the first row met)."""
    from omniretail.platform.engine.spark import SparkEngine

    due = date(2026, 11, 5)
    table = pa.table(
        {
            "customer_id": ["c1", "c1", "c1", "c2"],
            "category_code": ["Z", "A", "M", "Q"],
            "category_name": ["酸奶", "卤味", None, "饮料"],
            "due_date": [due, due, date(2026, 11, 9), due],
            "due_in_days": [3, 3, 7, 3],
        }
    )
    results = []
    for engine in (DuckDBEngine(), SparkEngine(session=spark.newSession())):
        try:
            engine.register_arrow("customer_replenishment", table)
            frame = _replenishment_summary(engine).sort_values("customer_id")
            results.append(
                [
                    (r.next_replenishment_category, list(r.replenishment_due_categories))
                    for r in frame.itertuples()
                ]
            )
        finally:
            engine.close()
    # 卤味 (U+5364) sorts before 酸奶 (U+9178); the list is in due-date order, ties by name
    expected = [("卤味", ["卤味", "酸奶", "M"]), ("饮料", ["饮料"])]
    assert results == [expected, expected]
