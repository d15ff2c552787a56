"""KPI API: reports by period × store/channel/region, summary, cohorts, map, basket."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query

from omniretail.insight.basket import service as basket
from omniretail.insight.kpi import service
from omniretail.platform.auth.deps import ApiPrincipal, DbSession
from omniretail.platform.auth.scope import store_scope
from omniretail.platform.engine.snapshot import run_on_published

router = APIRouter(prefix="/kpis", tags=["kpis"])


@router.get("")
def report(
    db: DbSession,
    principal: ApiPrincipal,
    grain: str = "month",
    by: list[str] = Query(default=[]),
    start: str | None = None,
    end: str | None = None,
) -> list[dict[str, Any]]:
    """KPIs per day/week/month × dimensions with 环比 (prev) and 同比 (yoy) growth."""
    principal.require("read")
    codes = store_scope(principal).codes()
    rows: list[dict[str, Any]] = run_on_published(
        lambda e: service.kpi_report(e, grain=grain, by=by, start=start, end=end, store_codes=codes)
    )
    return rows


@router.get("/summary")
def summary(principal: ApiPrincipal, marketing_cost: float | None = None) -> dict[str, Any]:
    principal.require("read")
    out: dict[str, Any] = run_on_published(
        lambda e: service.summary(e, marketing_cost=marketing_cost)
    )
    return out


@router.get("/cohorts")
def cohorts(principal: ApiPrincipal, months: int = Query(12, ge=1, le=120)) -> list[dict[str, Any]]:
    principal.require("read")
    rows: list[dict[str, Any]] = run_on_published(lambda e: service.cohorts(e, months=months))
    return rows


@router.get("/provinces")
def provinces(principal: ApiPrincipal) -> list[dict[str, Any]]:
    principal.require("read")
    rows: list[dict[str, Any]] = run_on_published(service.provinces)
    return rows


@router.get("/basket")
def basket_rules(
    principal: ApiPrincipal,
    level: str = "category",
    by: str = "lift",
    limit: int = Query(50, ge=1, le=500),
) -> list[dict[str, Any]]:
    principal.require("read")
    rows: list[dict[str, Any]] = run_on_published(
        lambda e: basket.top_pairs(e, level=level, by=by, limit=min(limit, 500))
    )
    return rows


@router.get("/basket/network")
def basket_network(principal: ApiPrincipal) -> dict[str, Any]:
    principal.require("read")
    out: dict[str, Any] = run_on_published(basket.category_network)
    return out
