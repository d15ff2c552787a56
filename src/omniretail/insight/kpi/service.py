"""KPI reports for the API, the CLI and the dashboards."""

from __future__ import annotations

from datetime import date
from typing import Any

from omniretail.insight.kpi.sql import DIMENSIONS, GRAINS, report_sql
from omniretail.platform.auth.scope import StoreScope
from omniretail.platform.engine.base import AnalyticsEngine
from omniretail.platform.engine.snapshot import require_tables
from omniretail.platform.errors import InvalidInput


def _iso(value: str | None, field: str) -> str | None:
    if value is None or value == "":
        return None
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError:
        raise InvalidInput(
            f"expected an ISO date (YYYY-MM-DD), got {value!r}", field=field
        ) from None


def kpi_report(
    engine: AnalyticsEngine,
    *,
    grain: str = "month",
    by: list[str] | None = None,
    start: str | None = None,
    end: str | None = None,
    store_codes: list[str] | None = None,
) -> list[dict[str, Any]]:
    """KPIs per period (day/week/month) × the chosen dimensions, with 环比 and 同比."""
    if grain not in GRAINS:
        raise InvalidInput(f"grain must be one of {sorted(GRAINS)}", field="grain")
    dims = list(by or [])
    for d in dims:
        if d not in DIMENSIONS:
            raise InvalidInput(f"unknown dimension {d!r}; use {sorted(DIMENSIONS)}", field="by")
    start, end = _iso(start, "start"), _iso(end, "end")
    require_tables(engine, "ins_order_facts", "dim_store", "events")
    # the coupon service's coupons (exported by the marketing.coupons step) count as issued;
    # they are attributed to the member's home store (customers)
    service_coupons = engine.table_exists("mkt_coupons")
    if service_coupons:
        require_tables(engine, "customers")
    sql = report_sql(
        grain,
        dims,
        start,
        end,
        service_coupons=service_coupons,
        coupon_stores=store_codes,
    )
    if store_codes is not None:
        scope = StoreScope.of_codes(store_codes)
        sql = sql.replace(
            "FROM ins_order_facts o LEFT JOIN dim_store s",
            f"FROM (SELECT * FROM ins_order_facts WHERE {scope.sql('store_code')}) o "
            "LEFT JOIN dim_store s",
        )
    return engine.fetch_rows(sql)


def summary(engine: AnalyticsEngine, *, marketing_cost: float | None = None) -> dict[str, Any]:
    """Headline KPIs; CAC = marketing cost / members acquired in the last 365 days."""
    require_tables(engine, "kpi_summary")
    rows = engine.fetch_rows("SELECT * FROM kpi_summary")
    out: dict[str, Any] = dict(rows[0]) if rows else {}
    if marketing_cost is not None:
        if marketing_cost < 0:
            raise InvalidInput("marketing cost cannot be negative", field="marketing_cost")
        require_tables(engine, "customer_features")
        new = int(
            engine.scalar(
                "SELECT count(*) FROM customer_features "
                "WHERE first_order_days_ago IS NOT NULL AND first_order_days_ago < 365"
            )
            or 0
        )
        out["marketing_cost"] = marketing_cost
        out["new_members_365d"] = new
        out["cac"] = round(marketing_cost / new, 2) if new else None
    return out


def cohorts(engine: AnalyticsEngine, *, months: int = 12) -> list[dict[str, Any]]:
    require_tables(engine, "kpi_cohorts", "ins_as_of")
    return engine.fetch_rows(
        "SELECT * FROM kpi_cohorts WHERE cohort_month >= "
        f"(SELECT CAST(date_trunc('month', as_of) AS DATE) FROM ins_as_of) "
        f"- INTERVAL {int(months)} MONTH ORDER BY cohort_month, months_since"
    )


def provinces(engine: AnalyticsEngine) -> list[dict[str, Any]]:
    require_tables(engine, "kpi_province")
    return engine.fetch_rows(
        "SELECT province, sum(orders) AS orders, sum(sales) AS sales, sum(members) AS members "
        "FROM kpi_province WHERE province IS NOT NULL GROUP BY province ORDER BY sales DESC"
    )
