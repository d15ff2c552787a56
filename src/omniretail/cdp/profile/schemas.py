"""Typed results of the Customer 360: the profile, search hits and the timeline.

Times are ISO 8601 strings in the chain's time zone (``platform.timezone``); personal fields
are masked for roles that may not see personal data (``masking``), so they stay strings."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from omniretail.cdp.identity.schemas import CustomerCluster


class CustomerSummary(BaseModel):
    customer_id: str
    name: str | None = None
    gender: str | None = None
    birthday: str | None = Field(None, description="YYYY-MM-DD (masked: YYYY-**-**)")
    phone: str | None = None
    email: str | None = None
    province: str | None = None
    city: str | None = None
    address: str | None = None
    home_store_code: str | None = None
    registered_at: str | None = None
    first_seen_at: str | None = None
    last_seen_at: str | None = None
    sources: list[str] = Field(default_factory=list)
    records: int | None = None
    status: str
    golden_sources: dict[str, Any] = Field(
        default_factory=dict, description="attribute → its golden value's source and rule"
    )


class IdentityRead(BaseModel):
    kind: str
    value: str
    source: str | None = None
    first_seen_at: str | None = None


class Consent(BaseModel):
    sms: bool | None = None
    email: bool | None = None
    wechat: bool | None = None
    app_push: bool | None = None


class ChannelOrders(BaseModel):
    channel_code: str | None = None
    orders: int
    paid_amount: float
    last_order_at: str | None = None


class OrderSummary(BaseModel):
    orders: int
    paid_orders: int
    paid_amount: float
    first_order_at: str | None = None
    last_order_at: str | None = None
    by_channel: list[ChannelOrders] = Field(default_factory=list)


class ConsentEvent(BaseModel):
    source: str | None = None
    channel: str | None = None
    granted: bool | None = None
    observed_at: str | None = None


class CustomerProfile(BaseModel):
    """The Customer 360: golden record, identities, consent, order summary (from the published
    snapshot; ``None`` before one exists) and why the records are one customer."""

    customer: CustomerSummary
    identities: list[IdentityRead]
    consent: Consent
    orders: OrderSummary | None = None
    channels: list[str]
    explanation: CustomerCluster | None = None
    consent_events: list[ConsentEvent] = Field(default_factory=list)


class CustomerSearch(BaseModel):
    q: str
    count: int
    items: list[CustomerSummary]


class TimelineItem(BaseModel):
    happened_at: str | None = None
    kind: str = Field(description="order, event or review")
    type: str | None = Field(None, description="order status, event type or review rating")
    channel_code: str | None = None
    store_code: str | None = None
    ref: str | None = None
    amount: float | None = None
    sku: str | None = None
    source: str | None = None


class Timeline(BaseModel):
    customer_id: str
    page: int
    size: int
    total: int
    items: list[TimelineItem]
