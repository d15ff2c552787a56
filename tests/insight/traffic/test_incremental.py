"""Step ``insight.traffic`` incremental: a new counter batch (new days, an extra hour on an old
day, bad rows) and a sales change refresh only the store-days they touch, and the result is
the full rebuild's, table for table; bad rows are still quarantined; replaying changes nothing.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from omniretail.cdp.ingest import service as ingest_service
from omniretail.cdp.ingest.mapping import shipped_mapping
from omniretail.cdp.ingest.models import QuarantineRecord
from omniretail.insight.traffic.pipeline import DOOR_FIRST
from omniretail.platform import config, pipeline
from omniretail.platform.db import session_scope
from omniretail.platform.engine import DuckDBEngine, open_engine, work_path
from omniretail.platform.engine.base import AnalyticsEngine

DATA = Path(__file__).parent / "data"
STORES = Path(__file__).parents[2] / "omnichannel" / "data" / "erp_stores.csv"
HEADER = "门店编码,门编码,时段开始,进店人数,出店人数,过店人数\n"
# the next day's export, with a late hour of an old day, a copy of an old row (a duplicate),
# a key sent twice with other figures, a negative count and an unregistered door
BATCH2 = """S101,D1,2026-11-05 10:00,20,18,150
S101,D1,2026-11-05 11:00,30,31,200
S101,D1,2026-11-05 13:00,10,11,90
S101,D2,2026-11-05 10:00,4,4,
S102,D1,2026-11-05 10:00,20,5,
S101,D1,2026-11-02 14:00,4,4,40
S102,D1,2026-11-02 10:00,5,9,
S101,D1,2026-11-05 10:00,99,99,990
S101,D1,2026-11-06 10:00,-1,0,
S101,D3,2026-11-05 11:00,2,2,
"""
# a back-filled day before S102's door was first counted
BATCH3 = "S102,D1,2026-11-01 10:00,6,6,\nS102,D1,2026-11-01 11:00,7,6,\n"
TABLES = (
    "trf_counter_flags",
    "trf_sales_hourly",
    "trf_hourly",
    "trf_identified",
    "trf_kpi_daily",
    "trf_kpi_weekly",
    "trf_findings",
    DOOR_FIRST,
)

# in-store tickets (store, day, hour, paid)
ORDERS = [
    ("S101", "2026-11-02", 10, "100.00"),
    ("S101", "2026-11-02", 13, "50.50"),
    ("S102", "2026-11-02", 11, "20.00"),
    ("S101", "2026-11-05", 13, "42.00"),
]


def _import(mapping: str, file: Path, source: str = "counter") -> list[Any]:
    with session_scope() as s:
        return ingest_service.import_with_mapping_file(
            s, source=source, mapping_path=shipped_mapping(mapping), files=[file]
        )


def _orders(engine: AnalyticsEngine, orders: list[tuple[str, str, int, str]]) -> None:
    rows = ", ".join(
        f"('{s}', DATE '{d}', {h}, CAST({p} AS DECIMAL(12,2)), 1, NULL, FALSE, 'paid')"
        for s, d, h, p in orders
    )
    engine.materialize(
        "ins_order_facts",
        f"SELECT * FROM (VALUES {rows}) AS t(store_code, order_day, order_hour, paid_amount,"
        " units, customer_id, online, status)",
    )


def _step(engine: AnalyticsEngine, orders: list[Any], *, full: bool = False) -> dict[str, Any]:
    ctx = pipeline.PipelineContext(engine=engine, settings=config.get_settings(), full_refresh=full)
    pipeline.run(ctx, only=["standardize"])
    _orders(engine, orders)
    pipeline.run(ctx, only=["insight.traffic"])
    return ctx.results["insight.traffic"]


def _tables(engine: AnalyticsEngine) -> dict[str, list[str]]:
    return {
        t: sorted(repr(sorted(r.items())) for r in engine.fetch_rows(f"SELECT * FROM {t}"))
        for t in TABLES
    }


def _rebuilt(engine: AnalyticsEngine, tmp_path: Path, name: str) -> dict[str, list[str]]:
    """The same analytics file, copied, with the step run as a full refresh."""
    copy = tmp_path / f"{name}.duckdb"
    engine.execute("CHECKPOINT")
    shutil.copy(work_path(config.get_settings()), copy)
    other = DuckDBEngine(copy)
    try:
        ctx = pipeline.PipelineContext(
            engine=other, settings=config.get_settings(), full_refresh=True
        )
        pipeline.run(ctx, only=["insight.traffic"])
        assert ctx.results["insight.traffic"]["mode"] == "full"
        return _tables(other)
    finally:
        other.close()


@pytest.mark.usefixtures("store_engine")
def test_new_batch_refreshes_only_its_store_days_as_a_full_rebuild_would(
    tmp_path: Path,
) -> None:
    _import("erp_master_stores", STORES, source="erp")
    _import("people_counter_doors", DATA / "counter_doors.csv")
    _import("people_counter", DATA / "counter_counts.csv")
    engine = open_engine(settings=config.get_settings())
    try:
        first = _step(engine, ORDERS[:3])
        assert (first["mode"], first["why"]) == ("full", "first_run")
        findings = {(r["kind"], str(r["day"])) for r in engine.fetch_rows(
            "SELECT * FROM trf_findings WHERE store_code = 'S101'")}  # fmt: skip
        assert ("traffic_without_sales", "2026-11-03") in findings

        b2 = tmp_path / "counts_1105.csv"
        b2.write_text(HEADER + BATCH2, encoding="utf-8")
        _import("people_counter", b2)
        # and a ticket on 11-03, a day no new count touches: a sales change
        second = _step(engine, [*ORDERS, ("S101", "2026-11-03", 15, "9.90")])
        assert second["mode"] == "incremental"
        # 11-05 of S101 and S102, S101's 11-02 (a late hour), S101's 11-03 (a new ticket)
        assert second["affected_store_days"] == 4
        assert second["doors_first_counted"] == 0
        now = _tables(engine)
        assert now == _rebuilt(engine, tmp_path, "second")
        flags = {
            (r["store_code"], r["door_code"], str(r["day"])): r["reason"]
            for r in engine.fetch_rows("SELECT * FROM trf_counter_flags")
        }
        assert flags[("S101", "D3", "2026-11-05")] == "unknown_door"
        assert ("S102", None, "2026-11-05") not in flags  # 20 in, 5 out
        findings = {(r["kind"], r["store_code"], str(r["day"])) for r in engine.fetch_rows(
            "SELECT * FROM trf_findings")}  # fmt: skip
        assert ("traffic_without_sales", "S101", "2026-11-03") not in findings
        hour14 = engine.fetch_rows(
            "SELECT visitors FROM trf_hourly WHERE store_code = 'S102' AND day = '2026-11-05'"
        )
        assert [r["visitors"] for r in hour14] == [20]
        with session_scope() as s:
            b2_reasons = sorted(
                r.reason
                for r in s.scalars(select(QuarantineRecord).where(QuarantineRecord.file == b2.name))
            )
        assert b2_reasons == ["duplicate_key:traffic_count", "negative_count"]

        # replaying: the same file is not landed twice, and a re-run changes nothing
        assert [r.status for r in _import("people_counter", b2)] == ["already_imported"]
        again = _step(engine, [*ORDERS, ("S101", "2026-11-03", 15, "9.90")])
        assert (again["mode"], again["affected_store_days"]) == ("incremental", 0)
        assert _tables(engine) == now

        # a back-filled day before a door's first counted day: the findings are rebuilt whole
        b3 = tmp_path / "counts_1101.csv"
        b3.write_text(HEADER + BATCH3, encoding="utf-8")
        _import("people_counter", b3)
        third = _step(engine, [*ORDERS, ("S101", "2026-11-03", 15, "9.90")])
        assert (third["mode"], third["doors_first_counted"]) == ("incremental", 1)
        assert _tables(engine) == _rebuilt(engine, tmp_path, "third")

        # a full refresh gives the same tables
        full = _step(engine, [*ORDERS, ("S101", "2026-11-03", 15, "9.90")], full=True)
        assert full["mode"] == "full"
        assert _tables(engine) == _rebuilt(engine, tmp_path, "fourth")
    finally:
        engine.close()


@pytest.mark.usefixtures("store_engine")
def test_changed_store_master_rebuilds_everything() -> None:
    _import("erp_master_stores", STORES, source="erp")
    _import("people_counter_doors", DATA / "counter_doors.csv")
    _import("people_counter", DATA / "counter_counts.csv")
    engine = open_engine(settings=config.get_settings())
    try:
        assert _step(engine, ORDERS)["mode"] == "full"
        engine.execute("UPDATE dim_store SET area_m2 = area_m2 + 1 WHERE store_code = 'S101'")
        ctx = pipeline.PipelineContext(engine=engine, settings=config.get_settings())
        pipeline.run(ctx, only=["insight.traffic"])
        assert ctx.results["insight.traffic"]["why"] == "master_changed"
    finally:
        engine.close()
