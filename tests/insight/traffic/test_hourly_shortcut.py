"""``trf_hourly`` without its per-hour sums: taken only where no store counts two rows in one
hour (``UNIQUE_HOURS_SQL`` is 0), and then equal to the summed build row for row — flagged
store-days, unknown stores, hours with sales and no counts, missing passers-by included."""

from __future__ import annotations

from omniretail.insight.traffic import sql
from omniretail.platform.engine import DuckDBEngine

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


def _engine(counts: list[tuple[object, ...]]) -> DuckDBEngine:
    e = DuckDBEngine()
    e.materialize(
        "std_traffic_counts",
        "SELECT * FROM (VALUES "
        + ", ".join(
            f"('{s}', '{d}', TIMESTAMP '{b}', {i}, {o}, {'NULL' if p is None else p}, 'b1')"
            for s, d, b, i, o, p in counts
        )
        + ") AS t(store_code, door_code, bucket_start, in_count, out_count, passers_by, _batch_id)",
    )
    e.execute(
        "ALTER TABLE std_traffic_counts ALTER in_count TYPE INTEGER; "
        "ALTER TABLE std_traffic_counts ALTER out_count TYPE INTEGER; "
        "ALTER TABLE std_traffic_counts ALTER passers_by TYPE INTEGER"
    )
    e.materialize("dim_store", "SELECT * FROM (VALUES ('S1'), ('S2')) AS t(store_code)")
    e.materialize(
        "dim_traffic_door",
        "SELECT * FROM (VALUES ('S1', 'D1'), ('S1', 'D2'), ('S2', 'D1'))"
        " AS t(store_code, door_code)",
    )
    e.materialize(
        "trf_sales_hourly",
        "SELECT store_code, CAST(day AS DATE) AS day, hour, orders, orders * 1000 AS sales_fen,"
        " orders AS units, CAST(0 AS BIGINT) AS member_orders FROM (VALUES "
        + ", ".join(f"('{s}', '{d}', {h}, {n})" for s, d, h, n in SALES)
        + ") AS t(store_code, day, hour, orders)",
    )
    e.create_view("trf_counts", sql.counts_sql(True))
    e.materialize("trf_counter_flags", sql.FLAGS_SQL)
    return e


def _rows(e: DuckDBEngine, query: str) -> list[tuple[object, ...]]:
    return sorted(tuple(r.values()) for r in e.fetch_rows(query))


def test_one_row_an_hour_equals_the_sums() -> None:
    e = _engine(COUNTS)
    assert e.scalar(sql.UNIQUE_HOURS_SQL) == 0
    summed = _rows(e, sql.hourly_sql())
    assert _rows(e, sql.hourly_sql(one_row_an_hour=True)) == summed
    by_key = {(r[0], str(r[1]), r[2]): r[3:] for r in summed}
    assert by_key[("S1", "2026-11-02", 11)] == (True, 7, None, 0, 0, 0, 0)
    assert by_key[("S1", "2026-11-03", 10)][:2] == (False, None)  # flagged: not counted
    assert by_key[("S1", "2026-11-02", 15)] == (True, 0, None, 1, 1000, 1, 0)
    assert by_key[("S2", "2026-11-04", 9)][:2] == (False, None)
    assert ("S9", "2026-11-02", 10) not in by_key


def test_two_rows_in_an_hour_are_summed() -> None:
    two_doors = [*COUNTS, ("S1", "D2", "2026-11-02 10:00", 6, 6, None)]
    quarter = [*COUNTS, ("S2", "D1", "2026-11-02 10:30", 1, 1, 10)]
    for counts, store, visitors in ((two_doors, "S1", 11), (quarter, "S2", 3)):
        e = _engine(counts)
        assert e.scalar(sql.UNIQUE_HOURS_SQL) == 1
        rows = {(r[0], str(r[1]), r[2]): r[4] for r in _rows(e, sql.hourly_sql())}
        assert rows[(store, "2026-11-02", 10)] == visitors
