"""KPI API: reports by period × store/channel/region, summary, cohorts, map, basket."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query

from omniretail.insight.basket import service as basket
from omniretail.insight.kpi import service
from omniretail.insight.kpi.schemas import (
    BasketNetwork,
    BasketPair,
    CohortRow,
    KpiRow,
    KpiSummary,
    ProvinceRow,
)
from omniretail.platform.auth.deps import ApiPrincipal, DbSession, Principal
from omniretail.platform.auth.scope import store_scope
from omniretail.platform.engine.snapshot import NOT_COMPUTED_RESPONSES, run_on_published

router = APIRouter(prefix="/kpis", tags=["kpis"], responses=NOT_COMPUTED_RESPONSES)


def _chain_wide_only(principal: Principal) -> None:
    """Summary, cohorts, provinces and basket rules are precomputed for the whole chain: a
    caller scoped to some stores may not see them (their stores' KPIs are at ``/kpis``)."""
    store_scope(principal).require_all_stores(
        detail="this is a chain-wide figure; your KPIs by store are at /api/v1/kpis"
    )


@router.get("", response_model=list[KpiRow])
def report(
    db: DbSession,
    principal: ApiPrincipal,
    grain: str = "month",
    by: list[str] = Query(default=[]),
    start: str | None = None,
    end: str | None = None,
) -> list[KpiRow]:
    """KPIs per day/week/month × dimensions with 环比 (prev) and 同比 (yoy) growth."""
    principal.require("read")
    codes = store_scope(principal).codes()
    rows: list[dict[str, Any]] = run_on_published(
        lambda e: service.kpi_report(e, grain=grain, by=by, start=start, end=end, store_codes=codes)
    )
    return [KpiRow.model_validate(r) for r in rows]


@router.get("/summary", response_model=KpiSummary)
def summary(principal: ApiPrincipal, marketing_cost: float | None = None) -> KpiSummary:
    principal.require("read")
    _chain_wide_only(principal)
    out: dict[str, Any] = run_on_published(
        lambda e: service.summary(e, marketing_cost=marketing_cost)
    )
    return KpiSummary.model_validate(out)


@router.get("/cohorts", response_model=list[CohortRow])
def cohorts(principal: ApiPrincipal, months: int = Query(12, ge=1, le=120)) -> list[CohortRow]:
    principal.require("read")
    _chain_wide_only(principal)
    rows: list[dict[str, Any]] = run_on_published(lambda e: service.cohorts(e, months=months))
    return [CohortRow.model_validate(r) for r in rows]


@router.get("/provinces", response_model=list[ProvinceRow])
def provinces(principal: ApiPrincipal) -> list[ProvinceRow]:
    principal.require("read")
    _chain_wide_only(principal)
    rows: list[dict[str, Any]] = run_on_published(service.provinces)
    return [ProvinceRow.model_validate(r) for r in rows]


@router.get("/basket", response_model=list[BasketPair])
def basket_rules(
    principal: ApiPrincipal,
    level: str = "category",
    by: str = "lift",
    limit: int = Query(50, ge=1, le=500),
) -> list[BasketPair]:
    principal.require("read")
    _chain_wide_only(principal)
    rows: list[dict[str, Any]] = run_on_published(
        lambda e: basket.top_pairs(e, level=level, by=by, limit=min(limit, 500))
    )
    return [BasketPair.model_validate(r) for r in rows]


@router.get("/basket/network", response_model=BasketNetwork)
def basket_network(principal: ApiPrincipal) -> BasketNetwork:
    principal.require("read")
    _chain_wide_only(principal)  # the same chain-wide basket counts as /basket
    out: dict[str, Any] = run_on_published(basket.category_network)
    return BasketNetwork.model_validate(out)
