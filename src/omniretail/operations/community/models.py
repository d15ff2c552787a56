"""Community tables (``com_*``): WeCom customer groups with their members (join time, scene,
inviter, the live code's ``state``), daily group statistics, live codes routing to groups,
referral campaigns with their invites (valid or refused with the abuse rule), check-ins and
the chain's streak → points table."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from omniretail.platform.db import Base, utcnow


class CommunityGroup(Base):
    __tablename__ = "com_group"
    __table_args__ = (UniqueConstraint("chat_id", name="uq_com_group_chat"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    chat_id: Mapped[str] = mapped_column(String(64))  # WeCom chat_id
    name: Mapped[str] = mapped_column(String(128))
    owner_staff_id: Mapped[str | None] = mapped_column(String(32))  # the owner clerk
    store_code: Mapped[str | None] = mapped_column(String(32), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # marketing content service
    capacity: Mapped[int] = mapped_column(Integer, default=200)
    status: Mapped[str] = mapped_column(String(16), default="active")  # active dismissed
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_message_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    quiet_since: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class GroupMember(Base):
    """One stay of a member in a group (a member who leaves and rejoins has two rows)."""

    __tablename__ = "com_member"
    __table_args__ = (
        UniqueConstraint("group_id", "member_key", "joined_at", name="uq_com_member_stay"),
        Index("ix_com_member_key", "member_key"),
        Index("ix_com_member_group_left", "group_id", "left_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("com_group.id", ondelete="CASCADE"))
    member_key: Mapped[str] = mapped_column(String(64))  # WeCom external userid / unionid
    customer_id: Mapped[str | None] = mapped_column(String(32))
    name: Mapped[str | None] = mapped_column(String(64))
    phone: Mapped[str | None] = mapped_column(String(32))  # normalised (abuse rules)
    device: Mapped[str | None] = mapped_column(String(64))  # device fingerprint (abuse rules)
    joined_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    join_scene: Mapped[str] = mapped_column(String(16))  # direct_invite invite_link qrcode
    inviter_key: Mapped[str | None] = mapped_column(String(64))
    state: Mapped[str | None] = mapped_column(String(64), index=True)  # the live code's state
    left_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_spoke_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    messages: Mapped[int] = mapped_column(Integer, default=0)


class GroupDay(Base):
    """A group's day (chain time zone): messages, members who spoke, joins and leaves."""

    __tablename__ = "com_group_day"
    __table_args__ = (UniqueConstraint("group_id", "day", name="uq_com_group_day"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("com_group.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)
    messages: Mapped[int] = mapped_column(Integer, default=0)
    speakers: Mapped[int] = mapped_column(Integer, default=0)
    joined: Mapped[int] = mapped_column(Integer, default=0)
    left: Mapped[int] = mapped_column(Integer, default=0)


class LiveCode(Base):
    """One permanent code per store or campaign (活码); routes a scan to the first group of
    its list with room. ``state`` is the WeCom ``state`` parameter that attributes joins."""

    __tablename__ = "com_live_code"
    __table_args__ = (
        UniqueConstraint("code", name="uq_com_live_code"),
        UniqueConstraint("state", name="uq_com_live_code_state"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(128))
    store_code: Mapped[str | None] = mapped_column(String(32))
    campaign: Mapped[str | None] = mapped_column(String(32))
    state: Mapped[str] = mapped_column(String(30))  # WeCom allows 30 characters
    group_ids: Mapped[list[int]] = mapped_column(JSON)  # in routing order
    status: Mapped[str] = mapped_column(String(16), default="active")  # active closed
    needs_group_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    scans: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ReferralCampaign(Base):
    __tablename__ = "com_referral_campaign"
    __table_args__ = (UniqueConstraint("code", name="uq_com_referral_campaign"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(128))
    live_code: Mapped[str] = mapped_column(String(32))  # joins through it count
    reward_points: Mapped[int] = mapped_column(Integer)  # per valid invite, to the inviter
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ends_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    shares: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # member → invites sent


class Invite(Base):
    """A join through a member's invitation in a campaign: ``pending`` until 24 h have
    passed, then ``valid`` (rewarded) or ``refused`` with the abuse rule that caught it."""

    __tablename__ = "com_invite"
    __table_args__ = (
        UniqueConstraint("campaign_id", "invitee_key", name="uq_com_invite_invitee"),
        Index("ix_com_invite_status", "campaign_id", "status"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("com_referral_campaign.id"))
    inviter_key: Mapped[str] = mapped_column(String(64), index=True)
    invitee_key: Mapped[str] = mapped_column(String(64))
    member_id: Mapped[int] = mapped_column(ForeignKey("com_member.id"))
    joined_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(16))  # pending valid refused
    reason: Mapped[str | None] = mapped_column(String(16))  # self_invite same_phone ...
    points_ref: Mapped[str | None] = mapped_column(String(96))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class CheckIn(Base):
    """A daily check-in (打卡): once per member per day in the chain's time zone."""

    __tablename__ = "com_checkin"
    __table_args__ = (UniqueConstraint("member_key", "day", name="uq_com_checkin_day"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    member_key: Mapped[str] = mapped_column(String(64))
    customer_id: Mapped[str | None] = mapped_column(String(32))
    group_id: Mapped[int | None] = mapped_column(ForeignKey("com_group.id"))
    day: Mapped[date] = mapped_column(Date)
    streak: Mapped[int] = mapped_column(Integer)
    points: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class StreakPoints(Base):
    """The chain's streak → points table: from day ``streak`` of a streak on, ``points``."""

    __tablename__ = "com_streak_points"
    id: Mapped[int] = mapped_column(primary_key=True)
    streak: Mapped[int] = mapped_column(Integer, unique=True)
    points: Mapped[int] = mapped_column(Integer)
