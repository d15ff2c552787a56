"""JSON shapes of the console's own API (the overview dashboard)."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, Field


class OverviewKpis(BaseModel):
    sales: float = Field(description="paid amount of paid orders in the period (yuan)")
    orders: int
    buyers: int = Field(description="distinct customers (or source records) who ordered")
    average_order_value: float | None
    members: int | None = Field(description="customers in the golden record (None: not built)")
    new_members: int | None = Field(description="members registered in the period")
    active_stores: int = Field(description="stores with at least one paid order in the period")
    sales_change: float | None = Field(description="% change against the previous period")
    orders_change: float | None


class DayPoint(BaseModel):
    day: date
    sales: float
    orders: int


class ChannelSlice(BaseModel):
    channel_code: str
    name: str
    name_en: str
    kind: str | None
    sales: float
    orders: int


class ProvinceSlice(BaseModel):
    province: str
    map_name: str = Field(description="the province's name on the China map")
    sales: float
    orders: int
    stores: int


class StorePoint(BaseModel):
    store_code: str
    name: str
    province: str | None
    city: str | None
    longitude: float
    latitude: float
    sales: float
    orders: int


class OverviewRead(BaseModel):
    available: bool = Field(description="False when no analytics snapshot with orders exists")
    reason: str | None = None
    reason_code: Literal["not_published", "no_orders_table", "no_paid_orders"] | None = None
    source_table: str | None = Field(None, description="orders or std_orders")
    days: int = Field(description="length of the period in days (0 = all data)")
    period_start: date | None = None
    period_end: date | None = None
    data_end: date | None = Field(
        None,
        description="the last day with any order; after period_end its data looks incomplete "
        "(days with under a fifth of the usual orders) and is left out of the period and its "
        "comparison",
    )
    kpis: OverviewKpis | None = None
    sales_by_day: list[DayPoint] = []
    by_channel: list[ChannelSlice] = []
    by_province: list[ProvinceSlice] = []
    stores: list[StorePoint] = []
    unattributed_sales: float = Field(0.0, description="sales of orders without a store")
