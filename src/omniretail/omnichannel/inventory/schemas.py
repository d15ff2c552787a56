"""Pydantic shapes of the stock API and services."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

# a pickup point (自提点, e.g. a third-party 快递代收点) holds no stock of ours: it is never
# allocated from and no store list shows it
LocationKind = Literal["store", "warehouse", "pickup_point"]
ReservationKind = Literal["checkout", "pickup", "groupbuy", "order"]
Strategy = Literal["priority", "most_stock", "nearest", "fewest_splits"]


class LocationCreate(BaseModel):
    code: str = Field(min_length=1, max_length=32)
    name: str = Field(min_length=1, max_length=128)
    kind: LocationKind = "store"
    store_code: str | None = None
    region: str | None = None
    city: str | None = None
    latitude: float | None = Field(default=None, ge=-90, le=90)
    longitude: float | None = Field(default=None, ge=-180, le=180)
    franchise: bool = False
    online: bool = True
    pickup: bool = True
    priority: int = 100
    delivery_radius_km: float = Field(default=10.0, gt=0)
    promise_minutes: int = Field(default=30, gt=0)
    is_active: bool = True


class LocationRead(LocationCreate):
    model_config = ConfigDict(from_attributes=True)
    id: int


class LevelRead(BaseModel):
    location: str
    sku: str
    on_hand: int
    reserved: int
    safety_stock: int
    available: int


class MovementRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    location: str
    sku: str
    kind: str
    d_on_hand: int
    d_reserved: int
    ref: str | None
    note: str | None
    at: datetime


class ReservationLine(BaseModel):
    location: str
    sku: str
    quantity: int


class ReservationRead(BaseModel):
    key: str
    line_no: int
    location: str
    sku: str
    quantity: int
    kind: str
    status: str
    expires_at: datetime | None
    ref: str | None


class Discrepancy(BaseModel):
    location: str
    sku: str
    on_hand: int
    ledger_on_hand: int
    reserved: int
    ledger_reserved: int
    open_reservations: int


class SnapshotMapping(BaseModel):
    """A declarative mapping of an ERP/WMS stock export onto stock counts."""

    source: str = Field(min_length=1, max_length=32)
    location: str  # column holding the location (warehouse/store) code
    sku: str  # column holding the SKU
    quantity: str  # column holding the counted quantity
    location_map: dict[str, str] = Field(default_factory=dict)  # ERP code -> our location code
    sku_map: dict[str, str] = Field(default_factory=dict)


class SnapshotRowError(BaseModel):
    row: int
    field: str
    message_zh: str
    message: str


class SnapshotResult(BaseModel):
    source: str
    rows: int
    adjusted: int
    unchanged: int
    rejected: list[SnapshotRowError]


class StockAtLocation(BaseModel):
    location: str
    name: str
    kind: str
    franchise: bool
    on_hand: int
    reserved: int
    available: int
    distance_km: float | None = None


class Availability(BaseModel):
    sku: str
    channel: str | None
    total_available: int
    locations: list[StockAtLocation]


class AllocationPart(BaseModel):
    location: str
    name: str
    sku: str
    quantity: int
    distance_km: float | None = None


class AllocationResult(BaseModel):
    channel: str | None
    strategy: str
    complete: bool
    parts: list[AllocationPart]
    missing: dict[str, int]  # sku -> units no location could supply
    explanation_zh: str
    explanation_en: str


class ChannelPolicyIn(BaseModel):
    channel_code: str
    strategy: Strategy = "priority"
    online: bool = True
    exclude_franchise: bool = True
    radius_km: float | None = None
    location_codes: list[str] | None = None
