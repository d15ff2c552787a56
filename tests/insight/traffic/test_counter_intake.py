"""People-counter exports through the shipped ``people_counter*`` mappings → standardize →
step ``insight.traffic``: bad rows quarantined or flagged with their reason, the store ×
hour/day KPIs, the traffic findings and the sales decomposition over the tables."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select

from omniretail.cdp.ingest import service as ingest_service
from omniretail.cdp.ingest.mapping import shipped_mapping
from omniretail.cdp.ingest.models import QuarantineRecord
from omniretail.insight.traffic import service as traffic
from omniretail.platform import config, pipeline
from omniretail.platform.db import session_scope
from omniretail.platform.engine import open_engine
from omniretail.platform.engine.base import AnalyticsEngine

DATA = Path(__file__).parent / "data"
STORES = Path(__file__).parents[2] / "omnichannel" / "data" / "erp_stores.csv"

# ins_order_facts rows (store, day, hour, paid, units, member, online, status)
ORDERS = [
    ("S101", "2026-11-02", 10, "100.00", 2, "C1", False, "paid"),
    ("S101", "2026-11-02", 10, "100.00", 1, None, False, "paid"),
    ("S101", "2026-11-02", 13, "50.50", 3, None, False, "paid"),
    ("S101", "2026-11-02", 13, "70.00", 1, None, True, "paid"),  # online: not in-store
    ("S101", "2026-11-02", 12, "30.00", 1, None, False, "cancelled"),
    ("S102", "2026-11-02", 11, "20.00", 1, None, False, "paid"),
]


def _import(mapping: str, file: Path, source: str = "counter") -> None:
    with session_scope() as s:
        ingest_service.import_with_mapping_file(
            s, source=source, mapping_path=shipped_mapping(mapping), files=[file]
        )


def _orders(engine: AnalyticsEngine) -> None:
    rows = ", ".join(
        f"('{s}', DATE '{d}', {h}, CAST({p} AS DECIMAL(12,2)), {u}, "
        f"{repr(c) if c else 'NULL'}, {str(o).upper()}, '{st}')"
        for s, d, h, p, u, c, o, st in ORDERS
    )
    engine.materialize(
        "ins_order_facts",
        "SELECT * FROM (VALUES "
        + rows
        + ") AS t(store_code, order_day, order_hour, paid_amount, units, customer_id, online,"
        " status)",
    )


def _run() -> tuple[dict[str, Any], AnalyticsEngine]:
    settings = config.get_settings()
    engine = open_engine(settings=settings)
    ctx = pipeline.PipelineContext(engine=engine, settings=settings, full_refresh=True)
    pipeline.run(ctx, only=["standardize"])
    _orders(engine)
    pipeline.run(ctx, only=["insight.traffic"])
    return ctx.results, engine


@pytest.mark.usefixtures("store_engine")
def test_counter_export_checked_aggregated_and_decomposed(store_engine: Engine) -> None:
    _import("erp_master_stores", STORES, source="erp")
    _import("people_counter_doors", DATA / "counter_doors.csv")
    _import("people_counter", DATA / "counter_counts.csv")
    results, engine = _run()
    try:
        # row-level: quarantined with the reason, nothing else of the file lost
        with session_scope() as s:
            reasons = sorted(
                r.reason
                for r in s.scalars(
                    select(QuarantineRecord).where(QuarantineRecord.source == "counter")
                )
            )
        assert reasons == ["invalid:traffic_count.bucket_start", "invalid_count", "negative_count"]
        assert engine.scalar("SELECT count(*) FROM std_traffic_counts") == 14
        assert engine.scalar("SELECT count(*) FROM dim_traffic_door") == 3

        # day-level: flagged with the reason and left out of the KPIs
        flags = {
            (r["store_code"], r["door_code"], str(r["day"])): r["reason"]
            for r in engine.fetch_rows("SELECT * FROM trf_counter_flags")
        }
        assert flags == {
            ("S102", None, "2026-11-02"): "out_exceeds_in",  # 9 + 3 out, 5 + 4 in
            ("S999", "D1", "2026-11-02"): "unknown_store",
            ("S101", "D9", "2026-11-02"): "unknown_door",
        }
        step = results["insight.traffic"]
        assert step["flagged_door_days"] == {
            "out_exceeds_in": 1,
            "unknown_door": 1,
            "unknown_store": 1,
        }

        daily = {
            (r["store_code"], str(r["period_start"])): r
            for r in engine.fetch_rows("SELECT * FROM trf_kpi_daily")
        }
        # S101 has a flagged door (D9) on 11-02: its day is not counted, sales stay
        s101 = daily[("S101", "2026-11-02")]
        assert s101["counted"] is False
        assert s101["visitors"] is None
        assert (s101["orders"], s101["sales_fen"], s101["units"]) == (3, 25050, 6)
        assert s101["ticket_fen"] == pytest.approx(8350)
        assert s101["units_per_ticket"] == pytest.approx(2)
        assert s101["sales_per_m2"] == pytest.approx(250.50 / 85.5)
        s102 = daily[("S102", "2026-11-02")]
        assert s102["counted"] is False
        assert s102["orders"] == 1
        # 11-03 is counted: 40 in, 200 passing the main door, no tickets
        d3 = daily[("S101", "2026-11-03")]
        assert (d3["counted"], d3["visitors"], d3["passers_by"], d3["orders"]) == (
            True,
            40,
            200,
            0,
        )
        assert d3["entry_rate"] == pytest.approx(0.2)
        assert d3["conversion"] == 0

        hourly = engine.fetch_rows(
            "SELECT hour, visitors, orders FROM trf_hourly "
            "WHERE store_code = 'S101' AND day = DATE '2026-11-03' ORDER BY hour"
        )
        assert [(r["hour"], r["visitors"], r["orders"]) for r in hourly] == [(10, 40, 0)]

        findings = {
            (r["kind"], r["store_code"], r["door_code"], str(r["day"])): r["detail"]
            for r in engine.fetch_rows("SELECT * FROM trf_findings")
        }
        assert findings == {
            # D2 counted 3 at 10:00 and nobody after, the store sold at 13:00
            ("counter_stopped", "S101", "D2", "2026-11-02"): "stopped_after_hour_10",
            ("traffic_without_sales", "S101", None, "2026-11-03"): "visitors_40",
        }
    finally:
        engine.close()


def _kpi_day(engine: AnalyticsEngine, rows: list[tuple[str, str, str, int, int, int]]) -> None:
    values = ", ".join(
        f"('{s}', '{r}', DATE '{d}', TRUE, {v}, {o}, {f})" for s, r, d, v, o, f in rows
    )
    engine.materialize(
        "trf_kpi_daily",
        f"SELECT * FROM (VALUES {values}) AS t(store_code, region, period_start, counted,"
        " visitors, orders, sales_fen)",
    )


def test_sales_change_per_store_region_and_chain() -> None:
    from omniretail.platform.engine.duckdb import DuckDBEngine

    engine = DuckDBEngine()
    _kpi_day(
        engine,
        [
            ("S1", "华中", "2026-10-31", 1000, 200, 2_000_000),  # the day before
            ("S1", "华中", "2026-11-01", 1100, 198, 2_178_000),
            ("S2", "华中", "2026-10-31", 300, 30, 301_001),
            ("S2", "华中", "2026-11-01", 280, 35, 333_333),
            ("S3", "华东", "2026-11-01", 50, 5, 5_000),  # new store: nothing before
        ],
    )
    start = end = date(2026, 11, 1)
    per_store = traffic.sales_change(engine, start=start, end=end, against="previous")
    assert [g.key for g in per_store] == ["S1", "S2", "S3"]
    for g in per_store:
        assert g.decomposition is not None
        assert sum(g.decomposition.effects().values()) == g.current.sales_fen - g.base.sales_fen
    assert per_store[0].decomposition.effects() == {  # type: ignore[union-attr]
        "traffic": 199_334,
        "conversion": -220_667,
        "ticket": 199_333,
    }
    region = traffic.sales_change(engine, start=start, end=end, group_by="region")
    assert {g.key: g.decomposition.change_fen for g in region} == {  # type: ignore[union-attr]
        "华东": 5_000,
        "华中": 2_178_000 + 333_333 - 2_000_000 - 301_001,
    }
    scoped = traffic.sales_change(engine, start=start, end=end, group_by="chain", stores=["S2"])
    assert [(g.key, g.decomposition.change_fen) for g in scoped] == [  # type: ignore[union-attr]
        ("chain", 32_332)
    ]
    # last year: nothing 364 days before, so the whole of the sales is the change
    ly = traffic.sales_change(engine, start=start, end=end, against="last_year")
    assert [g.base.sales_fen for g in ly] == [0, 0, 0]
    engine.close()
