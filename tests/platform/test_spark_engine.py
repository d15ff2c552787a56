"""The Spark adapter: canonical (DuckDB) SQL transpiled and run on Spark local mode."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

pytestmark = pytest.mark.spark


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    pytest.importorskip("pyspark")
    from omniretail.platform.engine.spark import SparkEngine, build_session

    engine = SparkEngine(session=build_session("local[2]"))
    yield engine
    engine.close()


def test_transpiles_duckdb_functions() -> None:
    from omniretail.platform.engine.spark import to_spark_sql

    out = to_spark_sql("SELECT arg_max(a, b), date_diff('day', d1, d2) FROM t")
    assert "MAX_BY" in out
    assert "DATEDIFF" in out


def test_rewrites_what_sqlglot_leaves_in_duckdb_terms() -> None:
    """The canonical SQL the pipeline emits that Spark would refuse or read differently."""
    from omniretail.platform.engine.spark import to_spark_sql

    out = to_spark_sql(
        "SELECT to_json(r) AS raw, json_object('k', r.a) AS j, 门店编码,"
        " try_strptime(d, ['%Y-%m-%d', '%Y%m%d']) AS t, regexp_full_match(p, '[0-9]+') AS m,"
        " len(list_filter(f, lambda x: x > 1)) AS n, TRY_CAST(s AS JSON) AS js"
        " FROM t JOIN u r ON TRUE"
    )
    assert "TO_JSON(STRUCT(r.*), MAP('ignoreNullFields', 'false'))" in out  # nulls kept
    assert "TO_JSON(NAMED_STRUCT('k', r.a), MAP('ignoreNullFields', 'false'))" in out
    assert "`门店编码`" in out
    assert "COALESCE(TRY_TO_TIMESTAMP(d, 'yyyy-M-d'), TRY_TO_TIMESTAMP(d, 'yyyyMMdd'))" in out
    assert "p RLIKE '^(?:[0-9]+)$'" in out
    assert "SIZE(FILTER(f" in out
    assert "TRY_PARSE_JSON(s)" in out


def test_ordered_lists_keep_their_order(spark) -> None:
    """``list(v ORDER BY …)``: sqlglot's ``collect_list`` drops the order; the adapter keeps
    it — several keys, DESC, NULL keys last (or first when asked), FILTER, a NULL value
    kept — with the same lists as DuckDB's."""
    from omniretail.platform.engine.duckdb import DuckDBEngine

    table = pa.table(
        {
            "k": ["a", "a", "a", "a", "a", "b", "b"],
            "d": [3, 1, None, 1, 2, 5, 5],
            "门店": ["s3", "s1z", "s0", "s1a", None, "t", "t"],
        }
    )
    sql = (
        "SELECT k, list(门店 ORDER BY d, 门店) FILTER (WHERE 门店 IS NOT NULL) AS asc_,"
        " list(门店 ORDER BY d DESC NULLS FIRST, 门店 DESC) AS desc_,"
        " list(d ORDER BY 门店) AS by_name, list(DISTINCT 门店 ORDER BY 门店) AS names"
        " FROM t_lists GROUP BY k ORDER BY k"
    )
    duck = DuckDBEngine()
    try:
        duck.register_arrow("t_lists", table)
        expected = duck.fetch_rows(sql)
    finally:
        duck.close()
    spark.register_arrow("t_lists", table)
    assert spark.fetch_rows(sql) == expected
    assert expected[0]["asc_"] == ["s1a", "s1z", "s3", "s0"]
    assert expected[0]["desc_"] == ["s0", "s3", None, "s1z", "s1a"]
    assert expected[0]["names"] == ["s0", "s1a", "s1z", "s3", None]


def test_mean_of_decimals_is_a_double(spark) -> None:
    """avg(CASE … THEN 1.0 ELSE 0.0 END): DuckDB's mean of decimals is a DOUBLE; Spark kept a
    DECIMAL of 5 places (0.33333), which the parity check saw in forecast coverage."""
    spark.register_arrow("t_hits", pa.table({"x": [1, 5, 7]}))
    share = spark.scalar("SELECT avg(CASE WHEN x < 2 THEN 1.0 ELSE 0.0 END) FROM t_hits")
    assert isinstance(share, float)
    assert share == pytest.approx(1 / 3, rel=1e-12)


def test_day_of_week_numbers_are_duckdbs(spark) -> None:
    """isodow (1 = Monday … 7 = Sunday) and dayofweek (0 = Sunday): sqlglot wrote Spark's
    DAYOFWEEK (1 = Sunday), so every ISO day came out one or two days off — the forecast's
    day-of-week shares put Monday's sales on Wednesday."""
    from datetime import date, datetime

    from omniretail.platform.engine.duckdb import DuckDBEngine

    days = [date(2026, 12, 6 + n) for n in range(7)]  # Sunday 6 December … Saturday 12th
    table = pa.table({"d": days, "ts": [datetime(d.year, d.month, d.day, 23, 30) for d in days]})
    sql = (
        "SELECT d, isodow(d) AS iso, CAST(isodow(ts) AS INTEGER) AS iso_ts, dayofweek(d) AS dow,"
        " extract(isodow FROM ts) AS x_iso, date_part('dow', d) AS p_dow FROM t_days ORDER BY d"
    )
    duck = DuckDBEngine()
    try:
        duck.register_arrow("t_days", table)
        expected = duck.fetch_rows(sql)
    finally:
        duck.close()
    assert [r["iso"] for r in expected] == [7, 1, 2, 3, 4, 5, 6]
    assert [r["dow"] for r in expected] == [0, 1, 2, 3, 4, 5, 6]
    spark.register_arrow("t_days", table)
    got = spark.fetch_rows(sql)
    assert [{k: int(v) if k != "d" else v for k, v in r.items()} for r in got] == expected


def test_epoch_keeps_the_fraction_of_a_second(spark) -> None:
    """epoch(ts) is DuckDB's seconds as a DOUBLE with their fraction; sqlglot's UNIX_TIMESTAMP
    cut it to whole seconds, so the golden record's "recent" rule saw two records of one
    second as a tie and took another source's city on Spark."""
    from datetime import date, datetime

    from omniretail.platform.engine.duckdb import DuckDBEngine

    table = pa.table(
        {
            "ts": [
                datetime(2026, 12, 7, 8, 0, 0, 250_000),
                datetime(2026, 12, 7, 8, 0, 0, 750_001),
            ],
            "d": [date(2026, 12, 7), date(1969, 12, 31)],
            "src": ["a", "b"],
        }
    )
    sql = "SELECT epoch(ts) AS e, coalesce(epoch(d), 0) * 100 AS d100 FROM t_epoch ORDER BY ts"
    # inside another rewrite (json_object → to_json) too, as golden_sources is built: the
    # later record (b, half a second later) outranks a's trust of 10 only with the fraction
    latest = (
        "SELECT CAST(json_object('src', arg_max(src, epoch(ts) * 100"
        " + CASE src WHEN 'a' THEN 10 ELSE 0 END)) AS VARCHAR) AS j FROM t_epoch"
    )
    duck = DuckDBEngine()
    try:
        duck.register_arrow("t_epoch", table)
        expected = duck.fetch_rows(sql)
        expected_latest = duck.fetch_rows(latest)
    finally:
        duck.close()
    assert expected[1]["e"] - expected[0]["e"] == pytest.approx(0.500001)
    assert expected_latest == [{"j": '{"src":"b"}'}]
    spark.register_arrow("t_epoch", table)
    assert spark.fetch_rows(sql) == expected
    assert spark.fetch_rows(latest) == expected_latest


def test_local_mode_uses_few_shuffle_partitions(spark) -> None:
    assert int(spark.spark.conf.get("spark.sql.shuffle.partitions")) <= 8
    assert spark.spark.conf.get("spark.sql.session.timeZone") == "UTC"


def test_register_materialize_fetch(spark, tmp_path: Path) -> None:
    spark.register_arrow(
        "t_orders",
        pa.table({"customer_id": ["a", "a", "b"], "amount": [1.5, 2.5, 4.0]}),
    )
    assert spark.table_exists("t_orders")
    spark.materialize(
        "t_totals",
        "SELECT customer_id, sum(amount) AS total, count(*) FILTER (WHERE amount > 2) AS big "
        "FROM t_orders GROUP BY customer_id",
    )
    rows = spark.fetch_rows("SELECT * FROM t_totals ORDER BY customer_id")
    assert rows == [
        {"customer_id": "a", "total": 4.0, "big": 1},
        {"customer_id": "b", "total": 4.0, "big": 1},
    ]
    assert spark.scalar("SELECT total FROM t_totals WHERE customer_id = ?", ["a"]) == 4.0
    # a table may be rebuilt from itself (incremental refresh)
    spark.materialize("t_totals", "SELECT * FROM t_totals UNION ALL SELECT 'c', 1.0, 0")
    assert spark.scalar("SELECT count(*) FROM t_totals") == 3

    out = tmp_path / "totals.parquet"
    spark.write_parquet("SELECT * FROM t_totals ORDER BY customer_id", out)
    assert pq.read_table(out).num_rows == 3
    spark.register_parquet("t_back", out)
    assert spark.scalar("SELECT sum(total) FROM t_back") == 9.0
    spark.drop("t_back")
    assert not spark.table_exists("t_back")


def test_open_engine_by_name(monkeypatch, tmp_path: Path, spark) -> None:
    from omniretail.platform import config
    from omniretail.platform.engine import open_engine

    monkeypatch.setenv("OMNIRETAIL_HOME", str(tmp_path))
    monkeypatch.setenv("OMNIRETAIL_DEMO", "1")
    config.reset_settings()
    engine = open_engine("spark")
    try:
        assert engine.name == "spark"
        assert engine.scalar("SELECT 1 + 1") == 2
    finally:
        engine._owns_session = False  # the session is shared with the other tests here
        engine.close()
        config.reset_settings()


def test_warehouse_tables_outlive_the_engine(spark, tmp_path: Path) -> None:
    from omniretail.platform.engine.spark import SparkEngine

    first = SparkEngine(session=spark.spark, warehouse=tmp_path / "wh")
    first.register_arrow("w_orders", pa.table({"c": ["a", "b", "b"], "amount": [1.0, 2.0, 3.0]}))
    first.materialize("w_totals", "SELECT c, sum(amount) AS total FROM w_orders GROUP BY c")
    # rebuilt from itself: a new version is written, the old one removed
    first.materialize("w_totals", "SELECT * FROM w_totals UNION ALL SELECT 'z', 0.5")
    assert len(list((tmp_path / "wh" / "w_totals").glob("v*"))) == 1
    first.close()
    assert not spark.table_exists("w_totals")

    second = SparkEngine(session=spark.spark, warehouse=tmp_path / "wh")
    assert second.scalar("SELECT sum(total) FROM w_totals") == 6.5
    second.drop("w_totals")
    assert not (tmp_path / "wh" / "w_totals").exists()
    second.close()


def test_warehouse_views_outlive_the_engine_and_are_published(spark, tmp_path: Path) -> None:
    """A view (``trf_counts`` over ``std_traffic_counts``) is kept as its SQL: a later engine
    reads it, and the published snapshot holds it as a view, as DuckDB's work file does; a
    view whose table is gone is left out of both, not an error at start-up; dropping it, or
    a table taking its name, forgets it."""
    import duckdb

    from omniretail.platform.engine.spark import SparkEngine
    from omniretail.platform.engine.warehouse import snapshot_from_warehouse

    wh = tmp_path / "wh"
    first = SparkEngine(session=spark.spark, warehouse=wh)
    first.register_arrow("v_counts", pa.table({"store": ["a", "a", "b"], "n": [1, 2, 5]}))
    # v_stores reads v_z_big, which sorts after it: views are bound until none is left
    first.create_view("v_z_big", "SELECT * FROM v_counts WHERE n > 1")
    first.create_view("v_stores", "SELECT store, sum(n) AS n FROM v_z_big GROUP BY store")
    first.register_arrow("v_gone", pa.table({"x": [1]}))
    first.create_view("v_broken", "SELECT x FROM v_gone")
    first.close()
    shutil.rmtree(wh / "v_gone")  # its table removed behind the view's back

    second = SparkEngine(session=spark.spark, warehouse=wh)
    assert second.fetch_rows("SELECT * FROM v_stores ORDER BY store") == [
        {"store": "a", "n": 2},
        {"store": "b", "n": 5},
    ]
    assert not second.table_exists("v_broken")
    snapshot_from_warehouse(wh, tmp_path / "published.duckdb")
    con = duckdb.connect(str(tmp_path / "published.duckdb"), read_only=True)
    try:
        kinds = dict(
            con.execute("SELECT table_name, table_type FROM information_schema.tables").fetchall()
        )
        assert kinds == {"v_counts": "BASE TABLE", "v_z_big": "VIEW", "v_stores": "VIEW"}
        assert con.execute("SELECT sum(n) FROM v_stores").fetchone() == (7,)
    finally:
        con.close()
    second.drop("v_stores")
    second.materialize("v_z_big", "SELECT 1 AS one")
    second.close()
    assert sorted(p.name for p in (wh / "_views").iterdir()) == ["v_broken.sql"]


def test_scratch_tables_survive_the_loss_of_the_executors_blocks(spark, tmp_path: Path) -> None:
    """A step's intermediate (scratch) table must not live only in the executors' memory: on a
    cluster an executor that is lost (killed, out of memory, missed heartbeats on a loaded
    machine) takes its blocks with it, and a local checkpoint cannot be recomputed — identity
    failed so at scale 1 on the standalone cluster (CHECKPOINT_RDD_BLOCK_ID_NOT_FOUND). With a
    warehouse, scratch tables are written as Parquet next to it (shared storage) and removed
    when dropped or when the engine closes."""
    from omniretail.platform.engine.spark import SparkEngine

    eng = SparkEngine(session=spark.spark, warehouse=tmp_path / "wh")
    try:
        eng.register_arrow("_s_in", pa.table({"x": [1, 2, 3, 4]}), scratch=True)
        eng.materialize("_s_sum", "SELECT sum(x) AS total FROM _s_in", scratch=True)
        # what losing the executors does to cached and locally checkpointed data
        for rdd in spark.spark.sparkContext._jsc.getPersistentRDDs().values():
            rdd.unpersist(True)
        assert eng.scalar("SELECT total FROM _s_sum") == 10
        assert eng.scalar("SELECT count(*) FROM _s_in") == 4
        assert "_s_sum" not in eng.list_tables("w")  # never published as a warehouse table
        assert not (tmp_path / "wh" / "_s_sum").exists()
        eng.drop("_s_in")
        assert not eng.table_exists("_s_in")
    finally:
        eng.close()
    leftovers = [p for p in tmp_path.rglob("*.parquet") if "_s_" in str(p)]
    assert leftovers == []  # the engine removes its scratch files when it closes
