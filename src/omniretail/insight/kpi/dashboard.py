"""The data behind the KPI dashboard charts (also served as CSV, one file per chart)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from omniretail.insight.basket import service as basket
from omniretail.insight.kpi import service
from omniretail.platform.auth.scope import StoreScope
from omniretail.platform.engine.base import AnalyticsEngine
from omniretail.platform.engine.snapshot import require_tables
from omniretail.platform.errors import NotFound
from omniretail.platform.geo import map_name

CHARTS = ("monthly", "channels", "regions", "provinces", "network", "cohorts")
# charts precomputed for the whole chain: only callers who see every store get them
CHAIN_WIDE = frozenset({"provinces", "network", "cohorts"})


def _channel_names(engine: AnalyticsEngine) -> dict[str, str]:
    require_tables(engine, "dim_channel")
    rows = engine.fetch_rows("SELECT channel_code, name FROM dim_channel")
    return {r["channel_code"]: r["name"] for r in rows}


def chart_rows(
    engine: AnalyticsEngine, chart: str, *, store_codes: list[str] | None = None
) -> list[dict[str, Any]]:
    """Rows of one chart; the CSV export writes exactly these. A caller scoped to some stores
    (``store_codes``) is refused the charts precomputed for the whole chain."""
    if chart in CHAIN_WIDE:
        StoreScope.of_codes(store_codes).require_all_stores(
            detail="this chart is a chain-wide figure; your stores' figures are in the other "
            "charts",
            field="chart",
        )
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


def dashboard(
    engine: AnalyticsEngine,
    *,
    store_codes: list[str] | None = None,
    filters: TrendFilter | None = None,
) -> dict[str, Any]:
    """Every chart and the summary; a snapshot without the insight tables raises
    NoPublishedSnapshot naming them (the page shows its empty state). ``filters`` narrow the
    trend chart (period grain and range, store, channel, region)."""
    if store_codes is not None:
        # a caller scoped to some stores: the summary, map, category network and cohorts are
        # precomputed for the whole chain, so they are left out (as the API refuses them)
        data: dict[str, Any] = {
            c: [] if c in CHAIN_WIDE else chart_rows(engine, c, store_codes=store_codes)
            for c in CHARTS
        }
        data["summary"] = {"as_of": service.summary(engine).get("as_of")}
        data["chain_wide_hidden"] = True
    else:
        data = {c: chart_rows(engine, c) for c in CHARTS}
        data["summary"] = service.summary(engine)
        data["chain_wide_hidden"] = False
    data["trend"] = trend(engine, filters or TrendFilter(), store_codes=store_codes)
    result: dict[str, Any] = jsonable(data)
    return result


@dataclass(frozen=True)
class TrendFilter:
    """What the dashboards' filter bar chose: grain (day/week/month), an optional range of
    ISO dates, one store, channel or region."""

    grain: str = "month"
    start: str | None = None
    end: str | None = None
    store: str | None = None
    channel: str | None = None
    region: str | None = None


def _shift(period: date, grain: str, back: int, years: int = 0) -> date:
    if grain == "month":
        m = period.year * 12 + period.month - 1 - back - 12 * years
        return date(m // 12, m % 12 + 1, 1)
    step = 1 if grain == "day" else 7
    return period - timedelta(days=step * back + 364 * years)  # a year back: same weekday


def trend(
    engine: AnalyticsEngine, f: TrendFilter, *, store_codes: list[str] | None = None
) -> list[dict[str, Any]]:
    """Sales net of returns, orders and buyers per period for the filter, each with its growth
    against the previous period (环比) and the same period last year (同比), both net of
    returns; the last period, when the data ends inside it, is marked ``partial`` (本期未完)
    and gets no growth (it would be compared with a whole period)."""
    codes = store_codes
    if f.store:
        if store_codes is not None and f.store not in store_codes:
            raise NotFound(f"no store {f.store!r} among yours", field="store")
        codes = [f.store]
    by = [d for d, v in (("channel", f.channel), ("region", f.region)) if v]
    rows = service.kpi_report(
        engine, grain=f.grain, by=by, start=f.start, end=f.end, store_codes=codes
    )
    if f.channel:
        rows = [r for r in rows if r.get("channel_code") == f.channel]
    if f.region:
        rows = [r for r in rows if r.get("region") == f.region]
    as_of = service.summary(engine).get("as_of")
    if isinstance(as_of, str):
        as_of = date.fromisoformat(as_of[:10])
    elif isinstance(as_of, datetime):
        as_of = as_of.date()

    def day(value: Any) -> date:
        if isinstance(value, datetime):
            return value.date()
        return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])

    def net_of(r: dict[str, Any]) -> float:
        if r.get("net_sales") is not None:
            return float(r["net_sales"])
        return float(r.get("sales") or 0) - float(r.get("returns") or 0)

    net = {day(r["period"]): net_of(r) for r in rows}
    out = []
    for r in sorted(rows, key=lambda x: day(x["period"])):
        period = day(r["period"])
        nxt = _shift(period, f.grain, -1)
        partial = bool(as_of and as_of < nxt - timedelta(days=1))
        value = net[period]

        def growth(
            before: float | None, value: float = value, partial: bool = partial
        ) -> float | None:
            return None if partial or not before else round(value / before - 1, 4)

        out.append(
            {
                "period": period,
                "net_sales": round(value, 2),
                "sales": round(float(r.get("sales") or 0), 2),
                "orders": int(r.get("orders") or 0),
                "buyers": int(r.get("buyers") or 0),
                "net_growth_prev": growth(net.get(_shift(period, f.grain, 1))),
                "net_growth_yoy": growth(net.get(_shift(period, f.grain, 0, years=1))),
                "partial": partial,
            }
        )
    return out
