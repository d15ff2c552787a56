"""``trf_hourly`` without its per-hour sums: taken only where no store counts two rows in one
hour (``UNIQUE_HOURS_SQL`` is 0), and then equal to the summed build row for row — flagged
store-days, unknown stores, hours with sales and no counts, missing passers-by included — on
DuckDB and on Spark (marked ``spark``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pyarrow as pa
import pytest

from omniretail.insight.traffic import sql
from omniretail.platform.engine import DuckDBEngine
from omniretail.platform.engine.base import AnalyticsEngine

COUNTS = [  # store, door, bucket, in, out, passers-by
    ("S1", "D1", "2026-11-02 10:00", 5, 4, 50),
    ("S1", "D1", "2026-11-02 11:00", 7, 8, None),
    ("S1", "D1", "2026-11-03 10:00", 3, 9, 30),  # out > in: the day is flagged
    ("S2", "D1", "2026-11-02 10:00", 2, 2, 20),
    ("S9", "D1", "2026-11-02 10:00", 4, 4, 40),  # no such store
]
SALES = [
    ("S1", "2026-11-02", 10, 2),
    ("S1", "2026-11-02", 15, 1),  # an hour with sales and no counts
    ("S1", "2026-11-03", 10, 1),  # a sale on a flagged day
    ("S2", "2026-11-04", 9, 1),  # a day without counts
]


@pytest.fixture(params=["duckdb", pytest.param("spark", marks=pytest.mark.spark)])
def engine(request: pytest.FixtureRequest) -> Iterator[AnalyticsEngine]:
    """The same SQL on DuckDB and, where pyspark is installed, Spark."""
    if request.param == "duckdb":
        e: AnalyticsEngine = DuckDBEngine()
    else:
        pytest.importorskip("pyspark")
        from omniretail.platform.engine.spark import SparkEngine, build_session

        e = SparkEngine(session=build_session("local[2]"))
    yield e
    e.close()


def _load(e: AnalyticsEngine, counts: list[tuple[Any, ...]]) -> AnalyticsEngine:
    c = list(zip(*counts, strict=True))
    e.register_arrow(
        "std_traffic_counts",
        pa.table(
            {
                "store_code": pa.array(c[0], pa.string()),
                "door_code": pa.array(c[1], pa.string()),
                "bucket_start": pa.array(
                    [dt.datetime.strptime(b, "%Y-%m-%d %H:%M") for b in c[2]], pa.timestamp("us")
                ),
                "in_count": pa.array(c[3], pa.int32()),
                "out_count": pa.array(c[4], pa.int32()),
                "passers_by": pa.array(c[5], pa.int32()),
                "_batch_id": pa.array(["b1"] * len(counts), pa.string()),
            }
        ),
    )
    e.register_arrow("dim_store", pa.table({"store_code": ["S1", "S2"]}))
    e.register_arrow(
        "dim_traffic_door",
        pa.table({"store_code": ["S1", "S1", "S2"], "door_code": ["D1", "D2", "D1"]}),
    )
    s = list(zip(*SALES, strict=True))
    e.register_arrow(
        "trf_sales_hourly",
        pa.table(
            {
                "store_code": pa.array(s[0], pa.string()),
                "day": pa.array([dt.date.fromisoformat(d) for d in s[1]], pa.date32()),
                "hour": pa.array(s[2], pa.int64()),
                "orders": pa.array(s[3], pa.int64()),
                "sales_fen": pa.array([n * 1000 for n in s[3]], pa.int64()),
                "units": pa.array(s[3], pa.int64()),
                "member_orders": pa.array([0] * len(SALES), pa.int64()),
            }
        ),
    )
    e.create_view("trf_counts", sql.counts_sql(True))
    e.materialize("trf_counter_flags", sql.FLAGS_SQL)
    return e


def _rows(e: AnalyticsEngine, query: str) -> list[tuple[Any, ...]]:
    return sorted(
        (tuple(r.values()) for r in e.fetch_rows(query)),
        key=lambda r: tuple((v is None, str(v)) for v in r),
    )


def test_one_row_an_hour_equals_the_sums(engine: AnalyticsEngine) -> None:
    e = _load(engine, COUNTS)
    assert e.scalar(sql.UNIQUE_HOURS_SQL) == 0
    summed = _rows(e, sql.hourly_sql())
    assert _rows(e, sql.hourly_sql(one_row_an_hour=True)) == summed
    by_key = {(r[0], str(r[1]), r[2]): r[3:] for r in summed}
    assert by_key[("S1", "2026-11-02", 11)] == (True, 7, None, 0, 0, 0, 0)
    assert by_key[("S1", "2026-11-03", 10)][:2] == (False, None)  # flagged: not counted
    assert by_key[("S1", "2026-11-02", 15)] == (True, 0, None, 1, 1000, 1, 0)
    assert by_key[("S2", "2026-11-04", 9)][:2] == (False, None)
    assert ("S9", "2026-11-02", 10) not in by_key


def test_two_rows_in_an_hour_are_summed(engine: AnalyticsEngine) -> None:
    two_doors = [*COUNTS, ("S1", "D2", "2026-11-02 10:00", 6, 6, None)]
    quarter = [*COUNTS, ("S2", "D1", "2026-11-02 10:30", 1, 1, 10)]
    for counts, store, visitors in ((two_doors, "S1", 11), (quarter, "S2", 3)):
        e = _load(engine, counts)
        assert e.scalar(sql.UNIQUE_HOURS_SQL) == 1
        rows = {(r[0], str(r[1]), r[2]): r[4] for r in _rows(e, sql.hourly_sql())}
        assert rows[(store, "2026-11-02", 10)] == visitors
