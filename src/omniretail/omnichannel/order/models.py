"""Orders and order lines from every channel, attached to unified customers."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import DateTime, ForeignKey, Index, Integer, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from omniretail.platform.db import Base, TimestampMixin


class Order(TimestampMixin, Base):
    __tablename__ = "order"
    __table_args__ = (
        UniqueConstraint("channel_id", "external_id"),
        Index("ix_order_customer_ordered", "customer_pk", "ordered_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str] = mapped_column(String(64))  # the channel's own order number
    channel_id: Mapped[int] = mapped_column(ForeignKey("channel.id"), index=True)
    store_id: Mapped[int | None] = mapped_column(ForeignKey("store.id"), index=True)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    customer_pk: Mapped[int | None] = mapped_column(ForeignKey("customer.id"))
    ordered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    status: Mapped[str] = mapped_column(
        String(16), default="paid"
    )  # created, paid, fulfilled, cancelled, returned
    fulfillment: Mapped[str] = mapped_column(
        String(16), default="in_store"
    )  # in_store, delivery, pickup (BOPIS), express, group_pickup
    payment_method: Mapped[str | None] = mapped_column(
        String(16)
    )  # wechat, alipay, card, cash, gift_card
    gross_amount: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    discount_amount: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=Decimal("0"))
    paid_amount: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    coupon_code: Mapped[str | None] = mapped_column(String(64))
    lines: Mapped[list[OrderLine]] = relationship(
        back_populates="order", cascade="all, delete-orphan"
    )


class OrderLine(Base):
    __tablename__ = "order_line"
    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("order.id", ondelete="CASCADE"), index=True)
    product_id: Mapped[int | None] = mapped_column(ForeignKey("product.id"), index=True)
    sku: Mapped[str] = mapped_column(String(32))
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    discount: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=Decimal("0"))
    amount: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    order: Mapped[Order] = relationship(back_populates="lines")
