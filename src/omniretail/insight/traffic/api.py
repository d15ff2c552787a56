"""Traffic API: KPIs per store × day/week, the hourly grid, and why sales moved — limited to
the caller's stores."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from fastapi import APIRouter

from omniretail.insight.traffic import service
from omniretail.insight.traffic.schemas import HourRow, SalesChangeRow, TrafficKpiRow
from omniretail.platform.auth.deps import ApiPrincipal
from omniretail.platform.auth.scope import store_scope
from omniretail.platform.engine.snapshot import NOT_COMPUTED_RESPONSES, run_on_published

router = APIRouter(prefix="/traffic", tags=["traffic"], responses=NOT_COMPUTED_RESPONSES)


@router.get("/kpis", response_model=list[TrafficKpiRow])
def kpis(
    principal: ApiPrincipal,
    start: date,
    end: date,
    grain: Literal["day", "week"] = "day",
    store: str | None = None,
) -> list[TrafficKpiRow]:
    """客流量, 进店率, 转化率, 客单价, 连带率, 坪效 and identified share per store × day/week."""
    principal.require("read")
    scope = store_scope(principal)
    if store is not None:
        scope.require(store)
    codes = [store] if store is not None else scope.codes()
    rows: list[dict[str, Any]] = run_on_published(
        lambda e: service.kpis(e, start=start, end=end, grain=grain, stores=codes)
    )
    return [TrafficKpiRow.model_validate(r) for r in rows]


@router.get("/hourly", response_model=list[HourRow])
def hourly(principal: ApiPrincipal, store: str, start: date, end: date) -> list[HourRow]:
    """One store's visitors and tickets by day × hour (the heat map)."""
    principal.require("read")
    store_scope(principal).require(store)
    rows: list[dict[str, Any]] = run_on_published(
        lambda e: service.hourly(e, store=store, start=start, end=end)
    )
    return [HourRow.model_validate(r) for r in rows]


@router.get("/sales-change", response_model=list[SalesChangeRow])
def sales_change(
    principal: ApiPrincipal,
    start: date,
    end: date,
    against: Literal["previous", "last_year"] = "previous",
    by: Literal["store", "region", "chain"] = "store",
    method: Literal["shapley", "lmdi"] = "shapley",
) -> list[SalesChangeRow]:
    """The in-store sales change split exactly (to the fen) into traffic, conversion and
    ticket effects, per store, region or the chain (of the caller's stores)."""
    principal.require("read")
    codes = store_scope(principal).codes()
    out = run_on_published(
        lambda e: service.sales_change(
            e, start=start, end=end, against=against, group_by=by, stores=codes, method=method
        )
    )
    return [SalesChangeRow.model_validate(g.as_dict()) for g in out]
