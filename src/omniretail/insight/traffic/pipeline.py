"""Pipeline step: store traffic (order 515, after the KPI tables)."""

from __future__ import annotations

from typing import Any

from omniretail.insight.traffic import sql
from omniretail.platform.pipeline import PipelineContext, step

TABLES = (
    "trf_counts",
    "trf_counter_flags",
    "trf_sales_hourly",
    "trf_hourly",
    "trf_visits",
    "trf_face_refused",
    "trf_identified",
    "trf_kpi_daily",
    "trf_kpi_weekly",
    "trf_findings",
)


@step("insight.traffic", order=515)
def build_traffic(ctx: PipelineContext) -> dict[str, Any]:
    """People-counter checks (unknown store/door, out > in over a day), visitors and in-store
    sales per store × hour/day/week with 进店率, 转化率, 客单价, 连带率, 坪效, and the traffic
    findings (counter stopped, traffic without sales)."""
    e = ctx.engine
    if not e.table_exists("std_traffic_counts") or not e.table_exists("ins_order_facts"):
        return {"skipped": "no std_traffic_counts or ins_order_facts"}
    e.materialize("trf_counts", sql.COUNTS_SQL)
    e.materialize("trf_counter_flags", sql.FLAGS_SQL)
    e.materialize("trf_sales_hourly", sql.SALES_HOURLY_SQL)
    e.materialize("trf_hourly", sql.HOURLY_SQL)
    if e.table_exists("events"):
        e.materialize("trf_visit_events", sql.VISIT_EVENTS_SQL, scratch=True)
        e.materialize("trf_face_checked", sql.FACE_CONSENT_SQL, scratch=True)
        e.materialize("trf_visits", sql.VISITS_SQL)
        e.materialize("trf_face_refused", sql.FACE_REFUSED_SQL)
        e.materialize("trf_identified", sql.IDENTIFIED_SQL)
    else:
        e.materialize("trf_identified", sql.NO_IDENTIFIED_SQL)
    e.materialize("trf_kpi_daily", sql.KPI_DAILY_SQL)
    e.materialize("trf_kpi_weekly", sql.KPI_WEEKLY_SQL)
    e.materialize("trf_findings", sql.FINDINGS_SQL)
    flags = {
        str(r["reason"]): int(r["n"])
        for r in e.fetch_rows(
            "SELECT reason, count(*) AS n FROM trf_counter_flags GROUP BY reason ORDER BY reason"
        )
    }
    findings = {
        str(r["kind"]): int(r["n"])
        for r in e.fetch_rows(
            "SELECT kind, count(*) AS n FROM trf_findings GROUP BY kind ORDER BY kind"
        )
    }
    refused = (
        int(e.scalar("SELECT coalesce(sum(matches), 0) FROM trf_face_refused") or 0)
        if e.table_exists("trf_face_refused")
        else 0
    )
    return {
        "face_matches_without_consent": refused,
        "store_days": int(e.scalar("SELECT count(*) FROM trf_kpi_daily") or 0),
        "flagged_door_days": flags,
        "findings": findings,
    }
