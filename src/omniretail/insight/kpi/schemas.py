"""Typed answers of the KPI API. Report rows carry one column per measure and growth
(``<measure>``, ``<measure>_prev``, ``<measure>_yoy``…, see ``kpi.sql``), so they are open
models over the fixed keys."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field


class KpiRow(BaseModel):
    """One period × the chosen dimensions (store_code, channel_code, region)."""

    model_config = ConfigDict(extra="allow")

    period: dt.date | None = None
    sales: float | None = None
    orders: int | None = None


class KpiSummary(BaseModel):
    """Headline KPIs (``kpi_summary``) with the CAC when a marketing cost is given."""

    model_config = ConfigDict(extra="allow")

    cac: float | None = Field(None, description="marketing cost / members acquired in 365 days")


class CohortRow(BaseModel):
    cohort_month: dt.date
    months_since: int
    retained: int
    cohort_size: int
    retention: float


class ProvinceRow(BaseModel):
    province: str
    orders: int
    sales: float | None = None
    members: int
    map_name: str | None = Field(None, description="the province's name on the China map")


class BasketPair(BaseModel):
    """An association rule antecedent → consequent (``basket_pairs``)."""

    model_config = ConfigDict(extra="allow")

    level: str | None = None
    antecedent: str
    consequent: str
    lift: float | None = None
    support: float | None = None


class NetworkNode(BaseModel):
    id: str
    orders: int | None = None
    name: str | None = None


class NetworkEdge(BaseModel):
    source: str
    target: str
    orders_ab: int | None = None
    lift: float | None = None
    support: float | None = None


class BasketNetwork(BaseModel):
    nodes: list[NetworkNode]
    edges: list[NetworkEdge]
