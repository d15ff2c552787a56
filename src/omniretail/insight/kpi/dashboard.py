"""The data behind the KPI dashboard charts (also served as CSV, one file per chart)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from omniretail.insight.basket import service as basket
from omniretail.insight.kpi import service
from omniretail.platform.engine.base import AnalyticsEngine
from omniretail.platform.engine.snapshot import require_tables
from omniretail.platform.errors import NotFound
from omniretail.platform.geo import map_name

CHARTS = ("monthly", "channels", "regions", "provinces", "network", "cohorts")


def _channel_names(engine: AnalyticsEngine) -> dict[str, str]:
    require_tables(engine, "dim_channel")
    rows = engine.fetch_rows("SELECT channel_code, name FROM dim_channel")
    return {r["channel_code"]: r["name"] for r in rows}


def chart_rows(
    engine: AnalyticsEngine, chart: str, *, store_codes: list[str] | None = None
) -> list[dict[str, Any]]:
    """Rows of one chart; the CSV export writes exactly these."""
    if chart == "monthly":
        return service.kpi_report(engine, grain="month", store_codes=store_codes)
    if chart == "channels":
        rows = service.kpi_report(engine, grain="month", by=["channel"], store_codes=store_codes)
        last = max((r["period"] for r in rows), default=None)
        names = _channel_names(engine)
        return [
            {**r, "channel_name": names.get(r["channel_code"], r["channel_code"])}
            for r in rows
            if r["period"] == last
        ]
    if chart == "regions":
        rows = service.kpi_report(engine, grain="month", by=["region"], store_codes=store_codes)
        last = max((r["period"] for r in rows), default=None)
        return [r for r in rows if r["period"] == last]
    if chart == "provinces":
        return [{**r, "map_name": map_name(str(r["province"]))} for r in service.provinces(engine)]
    if chart == "network":
        net = basket.category_network(engine)
        return [{"kind": "edge", **e} for e in net["edges"]] + [
            {"kind": "node", **n} for n in net["nodes"]
        ]
    if chart == "cohorts":
        return service.cohorts(engine, months=12)
    raise NotFound(f"unknown chart {chart!r}; charts: {', '.join(CHARTS)}", field="chart")


def jsonable(value: Any) -> Any:
    """Dates as ISO strings and decimals as floats, for the page's embedded JSON."""
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [jsonable(v) for v in value]
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def dashboard(engine: AnalyticsEngine, *, store_codes: list[str] | None = None) -> dict[str, Any]:
    """Every chart and the summary; a snapshot without the insight tables raises
    NoPublishedSnapshot naming them (the page shows its empty state)."""
    data: dict[str, Any] = {c: chart_rows(engine, c, store_codes=store_codes) for c in CHARTS}
    data["summary"] = service.summary(engine)
    result: dict[str, Any] = jsonable(data)
    return result
