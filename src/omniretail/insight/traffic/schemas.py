"""Typed answers of the traffic API."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel


class TrafficKpiRow(BaseModel):
    """One store × day (or ISO week): 客流量, 进店率, 进店转化率, 客单价, 连带率, 坪效,
    identified share."""

    store_code: str
    region: str | None = None
    period_start: date
    counted: bool  # False: a door's counts were flagged that day, visitors unknown
    visitors: int | None = None
    passers_by: int | None = None
    orders: int
    sales_fen: int
    units: int
    member_orders: int
    identified: int
    entry_rate: float | None = None
    conversion: float | None = None
    ticket_fen: float | None = None
    units_per_ticket: float | None = None
    sales_per_m2: float | None = None
    identified_share: float | None = None


class HourRow(BaseModel):
    store_code: str
    day: date
    hour: int
    counted: bool
    visitors: int | None = None
    passers_by: int | None = None
    orders: int
    sales_fen: int


class Period(BaseModel):
    visitors: int
    orders: int
    sales_fen: int


class Effects(BaseModel):
    traffic: int
    conversion: int
    ticket: int


class SalesChangeRow(BaseModel):
    """Why in-store sales moved: traffic + conversion + ticket = change_fen exactly."""

    key: str
    base: Period
    current: Period
    change_fen: int | None = None
    effects_fen: Effects | None = None
    method: str | None = None
    reason: str | None = None
    uncounted_sales_fen: int
