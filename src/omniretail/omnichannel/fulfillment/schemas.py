"""Pydantic shapes of fulfilments, pickup codes, deliveries and returns."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

Mode = Literal["pickup", "ship_from_store", "same_city"]
PickupKind = Literal["store", "locker", "curbside", "appointment", "parcel_point"]


class OrderLineIn(BaseModel):
    line_ref: str = Field(min_length=1, max_length=64)
    sku: str = Field(min_length=1, max_length=32)
    quantity: int = Field(gt=0)
    unit_price_fen: int = Field(default=0, ge=0)


class Address(BaseModel):
    latitude: float = Field(ge=-90, le=90)
    longitude: float = Field(ge=-180, le=180)
    text: str | None = None


class FulfilmentCreate(BaseModel):
    """An online order to fulfil (from the operational order service or a channel)."""

    order_ref: str = Field(min_length=1, max_length=64)  # the channel's order number
    channel: str = Field(min_length=1, max_length=32)
    order_id: int | None = None
    customer_id: str | None = None
    mode: Mode
    lines: list[OrderLineIn] = Field(min_length=1)
    pickup_store: str | None = None  # the store the customer chose (pickup)
    address: Address | None = None  # the customer's position (pickup near me, delivery)
    tender: str | None = None
    hold_days: int = Field(default=3, ge=1, le=30)
    # pickup only: at the counter, from a smart locker, brought out to the car, in a slot, or
    # at a third-party parcel point (快递代收点)
    pickup_kind: PickupKind = "store"
    parcel_point: str | None = Field(default=None, min_length=1, max_length=32)  # its code
    slot_start: AwareDatetime | None = None  # an appointment's booked slot
    slot_end: AwareDatetime | None = None

    @model_validator(mode="after")
    def _pickup_kind(self) -> FulfilmentCreate:
        if self.pickup_kind != "store" and self.mode != "pickup":
            raise ValueError("pickup_kind applies to pickup orders only")
        booked = self.slot_start is not None or self.slot_end is not None
        if self.pickup_kind == "appointment":
            if self.slot_start is None or self.slot_end is None:
                raise ValueError("an appointment pickup needs slot_start and slot_end")
            if self.slot_end <= self.slot_start:
                raise ValueError("slot_end must be after slot_start")
            if self.slot_end - self.slot_start > timedelta(hours=12):
                raise ValueError("an appointment slot is at most 12 hours long")
        elif booked:
            raise ValueError("slot_start and slot_end apply to appointment pickups only")
        if self.pickup_kind == "parcel_point" and self.parcel_point is None:
            raise ValueError("a parcel-point pickup needs the parcel point (parcel_point)")
        if self.pickup_kind != "parcel_point" and self.parcel_point is not None:
            raise ValueError("parcel_point applies to parcel-point pickups only")
        return self


class LineRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    line_no: int
    line_ref: str
    sku: str
    quantity: int
    unit_price_fen: int
    short_qty: int
    refunded_qty: int


class EventRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    event: str
    from_state: str | None
    to_state: str
    actor: str | None
    note: str | None
    at: datetime


class DeliveryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    provider: str
    waybill_id: str | None
    status: int
    rider_name: str | None
    rider_phone: str | None
    distance_km: float | None
    promised_at: datetime | None
    delivered_at: datetime | None
    on_time: bool | None


class FulfilmentRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    order_ref: str
    channel: str
    customer_id: str | None
    mode: str
    pickup_kind: str | None = None
    slot_start: datetime | None = None
    slot_end: datetime | None = None
    locker_box: str | None = None
    parcel_point: str | None = None
    point_code: str | None = None
    parking_spot: str | None = None
    arrived_at: datetime | None = None
    store_code: str | None
    state: str
    state_zh: str
    allocation_zh: str | None
    allocation_en: str | None
    hold_until: datetime | None
    placed_at: datetime
    ready_at: datetime | None
    completed_at: datetime | None
    cancelled_at: datetime | None
    cancel_reason: str | None
    refund_fen: int
    parent_id: int | None
    lines: list[LineRead]
    allowed: list[str]
    delivery: DeliveryRead | None = None


class PickupCodeRead(BaseModel):
    fulfilment_id: int
    store_code: str
    code: str
    qr_svg: str  # an SVG of the QR code (segno)
    issued_at: datetime


class VerifyRequest(BaseModel):
    store_code: str
    code: str = Field(min_length=1, max_length=64)  # 8 digits or the QR's content
    terminal: str = Field(min_length=1, max_length=64)
    staff: str | None = None


class ReturnLineIn(BaseModel):
    line_ref: str
    quantity: int = Field(gt=0)
    damaged: int = Field(default=0, ge=0)
    reason: str = Field(default="other", max_length=32)


class ReturnCreate(BaseModel):
    key: str = Field(min_length=1, max_length=128)  # idempotency key (the RMA number)
    order_ref: str
    channel: str  # where the goods are handed back
    receiving_store: str
    lines: list[ReturnLineIn] = Field(min_length=1)


class ReturnRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    key: str
    order_ref: str
    customer_id: str | None
    channel: str
    receiving_store: str
    status: str
    tender: str | None
    refund_fen: int
    reversals: dict[str, object] | None
    created_at: datetime


class SoldLine(BaseModel):
    line_ref: str
    sku: str
    quantity: int
    unit_price_fen: int = 0


class KpiRow(BaseModel):
    key: str  # store code or region
    name: str
    orders: int
    pickups: int
    picked_up: int
    no_shows: int
    pickup_rate: float | None
    no_show_rate: float | None
    median_minutes_to_ready: float | None
    deliveries: int
    delivered: int
    on_time_rate: float | None
