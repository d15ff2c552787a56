"""Operational orders created through omniretail's own API (mini-program, app, POS integration,
clerk, group-buy): lines, tender records and the status history. Money in integer fen.

An order is one per (channel, external order id normalised with ``platform.keys``): ``POS`` and
``pos``, `` T-1 `` and ``t-1`` name the same order. Customers are referred to by the CDP's
customer id only (no foreign key: omnichannel sits below the CDP).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, DateTime, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from omniretail.platform.db import Base, TimestampMixin, utcnow


class SalesOrder(TimestampMixin, Base):
    __tablename__ = "sales_order"
    __table_args__ = (
        Index("uq_sales_order_channel_key", "channel_code", "external_key", unique=True),
        Index("ix_sales_order_customer_ordered", "customer_id", "ordered_at"),
        Index("ix_sales_order_landing", "landed_version", "version"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    channel_code: Mapped[str] = mapped_column(String(32))  # normalised (platform.keys)
    external_id: Mapped[str] = mapped_column(String(64))  # as the channel sent it
    external_key: Mapped[str] = mapped_column(String(64))  # normalised external id
    origin: Mapped[str] = mapped_column(String(16))  # miniprogram, app, pos, clerk, groupbuy, api
    store_code: Mapped[str | None] = mapped_column(String(32), index=True)
    staff_id: Mapped[str | None] = mapped_column(String(32))
    customer_id: Mapped[str | None] = mapped_column(String(32))
    buyer: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # identifiers for the CDP
    fulfillment: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(24), index=True)
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    gross_fen: Mapped[int] = mapped_column(BigInteger)  # list price x quantity
    discount_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    shipping_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    total_fen: Mapped[int] = mapped_column(BigInteger)  # to pay
    paid_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    refunded_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    pricing: Mapped[str | None] = mapped_column(String(32))  # the pricing provider used
    discounts: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    coupon_codes: Mapped[list[str]] = mapped_column(JSON, default=list)
    # the live-session evidence it came with (marketing.live credits the session): the code
    # (口令 / 直播间专属码) typed or scanned, the tracked link or its query (live_id=...)
    live_code: Mapped[str | None] = mapped_column(String(64))
    live_link: Mapped[str | None] = mapped_column(String(512))
    request: Mapped[dict[str, Any]] = mapped_column(JSON)  # canonical body, for replays
    ordered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    paid_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    fulfilled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    version: Mapped[int] = mapped_column(Integer, default=1)  # +1 on every change
    landed_version: Mapped[int] = mapped_column(Integer, default=0)  # what analytics has
    lines: Mapped[list[SalesOrderLine]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="SalesOrderLine.line_no"
    )
    tenders: Mapped[list[OrderTender]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="OrderTender.id"
    )


class SalesOrderLine(Base):
    __tablename__ = "sales_order_line"
    __table_args__ = (Index("uq_sales_order_line_no", "order_id", "line_no", unique=True),)
    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("sales_order.id", ondelete="CASCADE"))
    line_no: Mapped[int] = mapped_column(Integer)  # 1-based
    sku: Mapped[str] = mapped_column(String(32), index=True)
    name: Mapped[str | None] = mapped_column(String(128))
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price_fen: Mapped[int] = mapped_column(BigInteger)
    discount_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    amount_fen: Mapped[int] = mapped_column(BigInteger)  # payable: quantity x price - discount
    returned_qty: Mapped[int] = mapped_column(Integer, default=0)
    order: Mapped[SalesOrder] = relationship(back_populates="lines")


class OrderTender(Base):
    """A payment (or refund) recorded against an order: method, amount, the provider's id.
    Recorded, not processed: the payment itself happens at the channel's provider."""

    __tablename__ = "sales_order_tender"
    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(
        ForeignKey("sales_order.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(8))  # payment | refund
    method: Mapped[str] = mapped_column(String(16))  # wechat, alipay, card, cash, gift_card ...
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    reference: Mapped[str | None] = mapped_column(String(64))
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    order: Mapped[SalesOrder] = relationship(back_populates="tenders")


class OrderStatusChange(Base):
    """The status history: every legal transition with its time, reason and actor."""

    __tablename__ = "sales_order_status"
    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(
        ForeignKey("sales_order.id", ondelete="CASCADE"), index=True
    )
    from_status: Mapped[str | None] = mapped_column(String(24))
    to_status: Mapped[str] = mapped_column(String(24))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    reason: Mapped[str | None] = mapped_column(String(256))
    idempotency_key: Mapped[str | None] = mapped_column(String(128), unique=True)
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # a return's lines and refund
