"""Reads of the traffic tables: KPIs per store and period, and why sales moved.

The decomposition compares a period [start, end] with a base period: ``previous`` (the same
number of days just before) or ``last_year`` (the same weekdays 52 weeks = 364 days earlier).
Only store-days whose traffic was counted (no flagged door) enter it, in both periods, so that
sales = visitors × conversion × ticket holds; the sales left out are reported beside it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Literal

from omniretail.insight.traffic.decompose import (
    Decomposition,
    Method,
    NotDecomposable,
    PeriodFigures,
    decompose,
)
from omniretail.platform.engine.base import AnalyticsEngine
from omniretail.platform.engine.dialect import date_literal, in_list
from omniretail.platform.engine.snapshot import require_tables

Against = Literal["previous", "last_year"]
GroupBy = Literal["store", "region", "chain"]


def base_period(start: date, end: date, against: Against) -> tuple[date, date]:
    if end < start:
        raise ValueError("end before start")
    if against == "last_year":
        return start - timedelta(days=364), end - timedelta(days=364)
    days = (end - start).days + 1
    return start - timedelta(days=days), start - timedelta(days=1)


@dataclass(frozen=True)
class GroupChange:
    key: str
    base: PeriodFigures
    current: PeriodFigures
    decomposition: Decomposition | None
    reason: str | None  # why there is no decomposition
    uncounted_sales_fen: int  # in-store sales of store-days without counted traffic (current)

    def as_dict(self) -> dict[str, Any]:
        d = self.decomposition
        return {
            "key": self.key,
            "base": vars(self.base),
            "current": vars(self.current),
            "change_fen": d.change_fen if d else None,
            "effects_fen": d.effects() if d else None,
            "method": d.method if d else None,
            "reason": self.reason,
            "uncounted_sales_fen": self.uncounted_sales_fen,
        }


def _figures(
    engine: AnalyticsEngine,
    start: date,
    end: date,
    group: str,
    stores: Sequence[str] | None,
) -> dict[str, dict[str, int]]:
    scope = f" AND {in_list('store_code', stores)}" if stores is not None else ""
    rows = engine.fetch_rows(
        f"SELECT {group} AS k,"
        " sum(CASE WHEN counted THEN visitors ELSE 0 END) AS visitors,"
        " sum(CASE WHEN counted THEN orders ELSE 0 END) AS orders,"
        " sum(CASE WHEN counted THEN sales_fen ELSE 0 END) AS sales_fen,"
        " sum(CASE WHEN counted THEN 0 ELSE sales_fen END) AS uncounted "
        "FROM trf_kpi_daily "
        f"WHERE period_start BETWEEN {date_literal(start)} AND {date_literal(end)}{scope} "
        f"GROUP BY {group}"
    )
    return {
        str(r["k"]): {k: int(r[k] or 0) for k in ("visitors", "orders", "sales_fen", "uncounted")}
        for r in rows
    }


def sales_change(
    engine: AnalyticsEngine,
    *,
    start: date,
    end: date,
    against: Against = "previous",
    group_by: GroupBy = "store",
    stores: Sequence[str] | None = None,
    method: Method = "shapley",
) -> list[GroupChange]:
    """Per store (or region, or the whole chain) the in-store sales change against the base
    period split into traffic, conversion and ticket effects (fen, summing to the change).
    ``stores``: the caller's visible stores (None = all)."""
    require_tables(engine, "trf_kpi_daily")
    group = {"store": "store_code", "region": "coalesce(region, '')", "chain": "'chain'"}[group_by]
    b0, b1 = base_period(start, end, against)
    cur = _figures(engine, start, end, group, stores)
    base = _figures(engine, b0, b1, group, stores)
    empty = {"visitors": 0, "orders": 0, "sales_fen": 0, "uncounted": 0}
    out: list[GroupChange] = []
    for key in sorted(set(cur) | set(base)):
        c, b = cur.get(key, empty), base.get(key, empty)
        pc = PeriodFigures(c["visitors"], c["orders"], c["sales_fen"])
        pb = PeriodFigures(b["visitors"], b["orders"], b["sales_fen"])
        dec: Decomposition | None = None
        reason: str | None = None
        try:
            dec = decompose(pb, pc, method=method)
        except NotDecomposable as exc:
            reason = str(exc)
        out.append(GroupChange(key, pb, pc, dec, reason, c["uncounted"]))
    return out


def kpis(
    engine: AnalyticsEngine,
    *,
    start: date,
    end: date,
    grain: Literal["day", "week"] = "day",
    stores: Sequence[str] | None = None,
) -> list[dict[str, Any]]:
    """Rows of ``trf_kpi_daily`` / ``trf_kpi_weekly`` in [start, end] (``stores``: the
    caller's visible stores, None = all)."""
    table = {"day": "trf_kpi_daily", "week": "trf_kpi_weekly"}[grain]
    require_tables(engine, table)
    scope = f" AND {in_list('store_code', stores)}" if stores is not None else ""
    return engine.fetch_rows(
        f"SELECT * FROM {table} WHERE period_start BETWEEN {date_literal(start)} "
        f"AND {date_literal(end)}{scope} ORDER BY store_code, period_start"
    )


def hourly(engine: AnalyticsEngine, *, store: str, start: date, end: date) -> list[dict[str, Any]]:
    require_tables(engine, "trf_hourly")
    return engine.fetch_rows(
        "SELECT store_code, day, hour, counted, visitors, passers_by, orders, sales_fen "
        f"FROM trf_hourly WHERE {in_list('store_code', [store])} AND day BETWEEN "
        f"{date_literal(start)} AND {date_literal(end)} ORDER BY day, hour"
    )
