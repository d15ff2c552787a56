"""Group-buying tables (``gb_*``): leaders with their pickup point, activities and their SKUs,
the leaders taking part (each with its stock hold), orders and their lines, commission rules
and the commission ledger. Money in integer fen; stores, SKUs and customers by their codes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from omniretail.platform.db import Base, utcnow


class Leader(Base):
    """A group leader (团长): a person tied to a store, running one pickup point."""

    __tablename__ = "gb_leader"
    __table_args__ = (UniqueConstraint("code", name="uq_gb_leader_code"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32))  # normalised (platform.keys)
    name: Mapped[str] = mapped_column(String(64))
    phone: Mapped[str | None] = mapped_column(String(32))
    customer_id: Mapped[str | None] = mapped_column(String(32))
    store_code: Mapped[str] = mapped_column(String(32), index=True)
    point_name: Mapped[str] = mapped_column(String(128))
    address: Mapped[str] = mapped_column(String(256))
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    hours: Mapped[str] = mapped_column(String(64))  # e.g. 09:00-21:00
    capacity: Mapped[int] = mapped_column(Integer)  # parcels the point can hold at once
    tier: Mapped[str] = mapped_column(String(16), default="bronze")  # bronze silver gold
    status: Mapped[str] = mapped_column(String(16), index=True)  # applied active suspended rejected
    applied_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    decided_by: Mapped[str | None] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(String(256))


class Activity(Base):
    """A group-buy activity: SKUs at a group price until the cut-off, formed (成团) when at
    least ``min_orders`` paid orders came in, collected in the pickup window."""

    __tablename__ = "gb_activity"
    __table_args__ = (UniqueConstraint("code", name="uq_gb_activity_code"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(128))
    status: Mapped[str] = mapped_column(String(16), index=True)  # open formed failed
    min_orders: Mapped[int] = mapped_column(Integer)
    cutoff_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    pickup_from: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    pickup_until: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    coupon_template: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ActivityItem(Base):
    __tablename__ = "gb_activity_item"
    __table_args__ = (UniqueConstraint("activity_id", "sku", name="uq_gb_activity_item_sku"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("gb_activity.id", ondelete="CASCADE"))
    sku: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(128))
    category_code: Mapped[str | None] = mapped_column(String(32))
    list_price_fen: Mapped[int] = mapped_column(BigInteger)
    group_price_fen: Mapped[int] = mapped_column(BigInteger)
    hold_per_leader: Mapped[int] = mapped_column(Integer)  # units held at each leader's store


class ActivityLeader(Base):
    """A leader taking part in an activity, with the inventory reservation holding its stock."""

    __tablename__ = "gb_activity_leader"
    __table_args__ = (UniqueConstraint("activity_id", "leader_id", name="uq_gb_activity_leader"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("gb_activity.id", ondelete="CASCADE"))
    leader_id: Mapped[int] = mapped_column(ForeignKey("gb_leader.id"), index=True)
    hold_key: Mapped[str] = mapped_column(String(96))
    arrived_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class GroupOrder(Base):
    """An order placed through a leader's link (the sales order is omnichannel's)."""

    __tablename__ = "gb_order"
    __table_args__ = (
        UniqueConstraint("external_key", name="uq_gb_order_key"),
        Index("ix_gb_order_leader_status", "leader_id", "status"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("gb_activity.id"), index=True)
    leader_id: Mapped[int] = mapped_column(ForeignKey("gb_leader.id"))
    external_key: Mapped[str] = mapped_column(String(64))
    customer_id: Mapped[str] = mapped_column(String(32), index=True)
    sales_order_id: Mapped[int] = mapped_column(Integer)
    fulfilment_id: Mapped[int | None] = mapped_column(Integer)
    # paid → formed → ready → picked_up; paid → cancelled (not formed); ready → no_show;
    # paid/formed/ready → refunded (every unit refunded before pickup)
    status: Mapped[str] = mapped_column(String(16))
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    refunded_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    coupon_used: Mapped[bool] = mapped_column(default=False)
    commission_fen: Mapped[int] = mapped_column(BigInteger, default=0)  # on net sales now
    commission_bucket: Mapped[str | None] = mapped_column(String(16))  # pending frozen available
    frozen_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    ordered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    picked_up_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class GroupOrderLine(Base):
    __tablename__ = "gb_order_line"
    __table_args__ = (UniqueConstraint("order_id", "line_no", name="uq_gb_order_line_no"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("gb_order.id", ondelete="CASCADE"))
    line_no: Mapped[int] = mapped_column(Integer)  # 1-based, as the sales order's
    sku: Mapped[str] = mapped_column(String(32))
    category_code: Mapped[str | None] = mapped_column(String(32))
    quantity: Mapped[int] = mapped_column(Integer)
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    refunded_qty: Mapped[int] = mapped_column(Integer, default=0)
    refunded_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    rule_kind: Mapped[str] = mapped_column(String(8))  # the rule in force when ordered
    rule_value: Mapped[int] = mapped_column(Integer)


class CommissionRule(Base):
    """``scope`` category (key: category code), tier (key: leader tier) or default; ``kind``
    rate (basis points of net sales) or fixed (fen per unit sold). Category beats tier beats
    default."""

    __tablename__ = "gb_commission_rule"
    __table_args__ = (UniqueConstraint("scope", "key", name="uq_gb_commission_rule"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(String(16))
    key: Mapped[str] = mapped_column(String(32), default="")
    kind: Mapped[str] = mapped_column(String(8))
    value: Mapped[int] = mapped_column(Integer)  # basis points or fen per unit


class CommissionEntry(Base):
    """The commission ledger: signed amounts per bucket, never edited. A move between buckets
    is two entries with one key prefix; a refund is a negative entry; a shortfall on available
    is an explicit ``debt`` entry."""

    __tablename__ = "gb_commission_entry"
    __table_args__ = (
        UniqueConstraint("key", "bucket", name="uq_gb_commission_entry_key"),
        Index("ix_gb_commission_entry_leader", "leader_id", "bucket"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    leader_id: Mapped[int] = mapped_column(ForeignKey("gb_leader.id"))
    order_id: Mapped[int | None] = mapped_column(ForeignKey("gb_order.id"), index=True)
    kind: Mapped[str] = mapped_column(
        String(16)
    )  # accrue freeze release refund withdraw debt repay
    bucket: Mapped[str] = mapped_column(String(16))  # pending frozen available withdrawn debt
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    key: Mapped[str] = mapped_column(String(128))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    note: Mapped[str | None] = mapped_column(String(256))


class GroupRefund(Base):
    """A refund of some units of an order (its key makes a retry one refund)."""

    __tablename__ = "gb_refund"
    __table_args__ = (UniqueConstraint("key", name="uq_gb_refund_key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("gb_order.id"), index=True)
    key: Mapped[str] = mapped_column(String(160))
    refund_fen: Mapped[int] = mapped_column(BigInteger)
    commission_delta_fen: Mapped[int] = mapped_column(BigInteger)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
