"""The data behind the console's store-traffic page (门店客流): one month of the caller's stores.

- the month's KPIs over the stores in view (客流量, 进店率, 进店转化率, 客单价, 连带率, 坪效,
  identified share) and per store;
- the hourly heat map (day × hour visitors) and the funnel 过店 → 进店 → 成交 of one store or
  of all the stores in view;
- why the month's in-store sales moved against the previous period and against last year:
  traffic, conversion and ticket effects per region and per store (``service.sales_change``).

Only counted store-days enter rates (a flagged counter's day has no visitors, see sql.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from omniretail.insight.traffic import service
from omniretail.platform.engine.base import AnalyticsEngine
from omniretail.platform.engine.dialect import date_literal, in_list
from omniretail.platform.engine.snapshot import require_tables
from omniretail.platform.errors import InvalidInput
from omniretail.platform.i18n import N_


def month_range(month: str) -> tuple[date, date]:
    """``YYYY-MM`` → its first and last day."""
    try:
        first = date.fromisoformat(f"{month}-01")
    except ValueError as exc:
        raise InvalidInput(
            f"month must be YYYY-MM, got {month!r}",
            field="month",
            message=N_("The month must be written YYYY-MM, got %(month)s"),
            params={"month": month},
        ) from exc
    nxt = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
    return first, nxt - timedelta(days=1)


def _scope(stores: Sequence[str] | None, column: str = "store_code") -> str:
    return f" AND {in_list(column, stores)}" if stores is not None else ""


def months(engine: AnalyticsEngine, stores: Sequence[str] | None) -> list[str]:
    """The months with counted traffic, newest first; a month whose last day has no data yet
    (the current, incomplete month) comes after the complete ones."""
    rows = engine.fetch_rows(
        "SELECT year(period_start) AS y, month(period_start) AS m, max(period_start) AS last_day"
        f" FROM trf_kpi_daily WHERE counted{_scope(stores)}"
        " GROUP BY year(period_start), month(period_start)"
    )
    found = sorted(((f"{r['y']:04d}-{r['m']:02d}", r["last_day"]) for r in rows), reverse=True)
    complete = [m for m, last in found if month_range(m)[1] <= last]
    return complete + [m for m, _ in found if m not in complete]


def _totals(row: dict[str, Any], area_m2: float | None) -> dict[str, Any]:
    v, o, s = row.get("visitors") or 0, row.get("orders") or 0, row.get("sales_fen") or 0
    pv, pb = row.get("entry_visitors") or 0, row.get("passers_by") or 0
    return {
        **row,
        "entry_rate": pv / pb if pb else None,
        "conversion": row["counted_orders"] / v if v else None,
        "ticket": s / 100 / o if o else None,
        "units_per_ticket": (row.get("units") or 0) / o if o else None,
        "sales_per_m2": s / 100 / area_m2 if area_m2 else None,
        "identified_share": min(1.0, (row.get("identified") or 0) / v) if v else None,
    }


_SUMS = (
    "sum(CASE WHEN d.counted THEN d.visitors ELSE 0 END) AS visitors,"
    " sum(CASE WHEN d.counted THEN d.orders ELSE 0 END) AS counted_orders,"
    " sum(d.orders) AS orders, sum(d.sales_fen) AS sales_fen, sum(d.units) AS units,"
    " sum(CASE WHEN d.counted THEN d.identified ELSE 0 END) AS identified,"
    " sum(CASE WHEN d.counted THEN 0 ELSE 1 END) AS uncounted_days"
)


def store_rows(
    engine: AnalyticsEngine, start: date, end: date, stores: Sequence[str] | None
) -> list[dict[str, Any]]:
    """Per store: the month's figures and KPIs (store name, region, area from dim_store)."""
    # 进店率 at the doors that count people passing: their in-counts over their passers-by,
    # on counted store-days (a store's other doors have no passers-by to compare with)
    entry = {
        r["store_code"]: r
        for r in engine.fetch_rows(
            "SELECT c.store_code, sum(c.in_count) AS entry_visitors,"
            " sum(c.passers_by) AS passers_by FROM trf_counts c"
            " JOIN trf_kpi_daily d ON d.store_code = c.store_code AND d.period_start = c.day"
            f" WHERE d.counted AND c.passers_by IS NOT NULL AND c.day BETWEEN"
            f" {date_literal(start)} AND {date_literal(end)}{_scope(stores, 'c.store_code')}"
            " GROUP BY c.store_code"
        )
    }
    rows = engine.fetch_rows(
        f"SELECT d.store_code, max(s.name) AS name, max(d.region) AS region,"
        f" max(s.area_m2) AS area_m2, {_SUMS} "
        "FROM trf_kpi_daily d LEFT JOIN dim_store s ON s.store_code = d.store_code "
        f"WHERE d.period_start BETWEEN {date_literal(start)} AND {date_literal(end)}"
        f"{_scope(stores, 'd.store_code')} GROUP BY d.store_code ORDER BY d.store_code"
    )
    ints = ("visitors", "entry_visitors", "passers_by", "counted_orders", "orders", "sales_fen",
            "units", "identified", "uncounted_days")  # fmt: skip
    out = []
    for r in rows:
        r.update(entry.get(r["store_code"], {}))
        r.update({k: int(r.get(k) or 0) for k in ints})
        out.append(_totals(r, float(r["area_m2"]) if r["area_m2"] else None))
    return out


def summary(rows: list[dict[str, Any]]) -> dict[str, Any]:
    keys = ("visitors", "entry_visitors", "passers_by", "counted_orders", "orders", "sales_fen",
            "units", "identified", "uncounted_days")  # fmt: skip
    total: dict[str, Any] = {k: sum(int(r[k]) for r in rows) for k in keys}
    area = sum(float(r["area_m2"] or 0) for r in rows if r["area_m2"])
    total["stores"] = len(rows)
    return _totals(total, area or None)


def heatmap(
    engine: AnalyticsEngine, start: date, end: date, stores: Sequence[str] | None
) -> list[dict[str, Any]]:
    """Visitors and tickets per day × hour (counted store-days only) summed over ``stores``."""
    return engine.fetch_rows(
        "SELECT day, hour, sum(visitors) AS visitors, sum(orders) AS orders FROM trf_hourly "
        f"WHERE counted AND day BETWEEN {date_literal(start)} AND {date_literal(end)}"
        f"{_scope(stores)} GROUP BY day, hour ORDER BY day, hour"
    )


def funnel(total: dict[str, Any]) -> list[dict[str, Any]]:
    """过店 → 进店 → 成交: passers-by and the visitors of the same store-days (doors that count
    people passing), then paying tickets of all counted store-days over all their visitors."""
    steps: list[dict[str, Any]] = []
    if total["passers_by"]:
        steps.append({"stage": "passers_by", "value": total["passers_by"]})
        steps.append({"stage": "entered", "value": total["entry_visitors"]})
    steps.append({"stage": "visitors", "value": total["visitors"]})
    steps.append({"stage": "paying", "value": total["counted_orders"]})
    return steps


def _changes(
    engine: AnalyticsEngine, start: date, end: date, stores: Sequence[str] | None
) -> dict[str, dict[str, list[dict[str, Any]]]]:
    out: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for against in ("previous", "last_year"):
        out[against] = {}
        for by in ("chain", "region", "store"):
            groups = service.sales_change(
                engine, start=start, end=end, against=against, group_by=by, stores=stores
            )
            out[against][by] = [g.as_dict() for g in groups]
    return out


def jsonable(value: Any) -> Any:
    """Dates as ISO strings and decimals as floats, for the page's embedded JSON."""
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def page(
    engine: AnalyticsEngine,
    *,
    stores: Sequence[str] | None,
    month: str | None = None,
    store: str | None = None,
) -> dict[str, Any]:
    """Everything the page shows for ``month`` (default: the latest complete month) over the
    caller's ``stores`` (None = all); ``store`` narrows the heat map and the funnel."""
    require_tables(engine, "trf_kpi_daily", "trf_hourly", "trf_counts", "dim_store")
    available = months(engine, stores)
    if month is None:
        month = available[0] if available else None
    if month is None:
        return {"months": [], "month": None}
    start, end = month_range(month)
    per_store = store_rows(engine, start, end, stores)
    if store is not None and store not in {r["store_code"] for r in per_store}:
        raise InvalidInput(
            f"store {store} has no traffic figures in {month}",
            field="store",
            message=N_("Store %(store)s has no traffic figures in %(month)s"),
            params={"store": store, "month": month},
        )
    focus = [store] if store is not None else stores
    focus_total = summary([r for r in per_store if store is None or r["store_code"] == store])
    base_prev = service.base_period(start, end, "previous")
    base_ly = service.base_period(start, end, "last_year")
    return {
        "months": available,
        "month": month,
        "start": start,
        "end": end,
        "bases": {"previous": base_prev, "last_year": base_ly},
        "store": store,
        "summary": summary(per_store),
        "stores": per_store,
        "names": {r["store_code"]: r["name"] or r["store_code"] for r in per_store},
        "focus": focus_total,
        "funnel": funnel(focus_total),
        "heatmap": heatmap(engine, start, end, focus),
        "changes": _changes(engine, start, end, stores),
    }
