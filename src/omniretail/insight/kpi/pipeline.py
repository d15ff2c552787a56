"""Pipeline step: KPI tables (order 510)."""

from __future__ import annotations

from typing import Any

from omniretail.insight.kpi.sql import COHORT_SQL, KPI_DAILY_SQL, PROVINCE_SQL, summary_sql
from omniretail.platform.pipeline import PipelineContext, step


@step("insight.kpis", order=510)
def build_kpis(ctx: PipelineContext) -> dict[str, Any]:
    """kpi_daily (additive measures by day × store × channel × region), retention cohorts,
    sales by province/city and the headline summary (CLTV, NPS, coupon rates)."""
    if not ctx.engine.table_exists("ins_order_facts"):
        return {"skipped": "no ins_order_facts"}
    e = ctx.engine
    e.materialize("kpi_daily", KPI_DAILY_SQL)
    e.materialize("kpi_cohorts", COHORT_SQL)
    e.materialize("kpi_province", PROVINCE_SQL)
    # the coupon service's coupons count as issued when the marketing.coupons step exported them
    e.materialize("kpi_summary", summary_sql(e.table_exists("mkt_coupons")))
    return {
        "days": int(e.scalar("SELECT count(DISTINCT day) FROM kpi_daily") or 0),
        "cohorts": int(e.scalar("SELECT count(DISTINCT cohort_month) FROM kpi_cohorts") or 0),
    }
