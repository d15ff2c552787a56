"""Referral and fission (裂变) campaigns: members invite friends into the campaign's groups
through its live code; each join with an inviter is an invite, decided 24 hours after the
join: refused by the first abuse rule that matches, otherwise valid and rewarded with points
through the loyalty ledger (once per invitee: the points entry's ref).

Abuse rules (``abuse_reason``, a pure function), in order:
``self_invite`` the inviter invited themselves (same member or same customer);
``same_phone`` the invitee's phone is the inviter's or an earlier invitee's in the campaign;
``same_device`` likewise for the device fingerprint;
``left_24h`` the invitee left the group within 24 hours of joining.

K-factor = invitations sent per inviter × invitation conversion (valid joins / invitations
sent) = valid joins per inviter."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from omniretail.marketing.loyalty import service as loyalty
from omniretail.operations.community.errors import InvalidCommunity, UnknownCampaign, UnknownCode
from omniretail.operations.community.models import GroupMember, Invite, LiveCode, ReferralCampaign
from omniretail.operations.community.schemas import (
    CampaignIn,
    CampaignRead,
    CampaignStats,
    InviteNode,
)
from omniretail.platform.db import utcnow
from omniretail.platform.keys import idempotency_key, normalize_key
from omniretail.platform.messaging import service as messaging
from omniretail.platform.messaging.schemas import MessageRequest, Origin
from omniretail.platform.messaging.templates import register_template

SETTLE_AFTER = timedelta(hours=24)

register_template(
    "community_referral_reward",
    title="邀请好友奖励到账",
    body="您邀请的好友 {friend} 已加入「{campaign}」社群，{points} 积分已到账。",
)


@dataclass(frozen=True)
class Person:
    key: str
    customer_id: str | None
    phone: str | None
    device: str | None


def abuse_reason(
    invitee: Person,
    inviter: Person,
    *,
    earlier_phones: set[str],
    earlier_devices: set[str],
    joined_at: datetime,
    left_at: datetime | None,
) -> str | None:
    """The first abuse rule an invite breaks, or None (see the module's docstring)."""
    if invitee.key == inviter.key or (
        invitee.customer_id is not None and invitee.customer_id == inviter.customer_id
    ):
        return "self_invite"
    if invitee.phone and (invitee.phone == inviter.phone or invitee.phone in earlier_phones):
        return "same_phone"
    if invitee.device and (invitee.device == inviter.device or invitee.device in earlier_devices):
        return "same_device"
    if left_at is not None and left_at - joined_at < SETTLE_AFTER:
        return "left_24h"
    return None


def _campaign(session: Session, code: str) -> ReferralCampaign:
    row = session.scalar(
        select(ReferralCampaign).where(ReferralCampaign.code == normalize_key(code))
    )
    if row is None:
        raise UnknownCampaign(
            f"裂变活动 {code} 不存在", f"no referral campaign {code!r}", field="campaign"
        )
    return row


def create_campaign(session: Session, *, data: CampaignIn) -> CampaignStats:
    code = normalize_key(data.live_code)
    if session.scalar(select(LiveCode.id).where(LiveCode.code == code)) is None:
        raise UnknownCode(
            f"活码 {data.live_code} 不存在", f"no live code {data.live_code!r}", field="live_code"
        )
    if data.ends_at <= data.starts_at:
        raise InvalidCommunity(
            "结束时间必须晚于开始时间", "the campaign ends before it starts", field="ends_at"
        )
    k = normalize_key(data.code)
    if session.scalar(select(ReferralCampaign.id).where(ReferralCampaign.code == k)) is not None:
        raise InvalidCommunity(
            f"裂变活动 {data.code} 已存在", f"campaign {data.code!r} exists", field="code"
        )
    session.add(
        ReferralCampaign(
            code=k,
            title=data.title,
            live_code=code,
            reward_points=data.reward_points,
            starts_at=data.starts_at,
            ends_at=data.ends_at,
            shares={},
        )
    )
    session.flush()
    return stats(session, campaign=k)


def list_campaigns(session: Session) -> list[CampaignStats]:
    codes = session.scalars(
        select(ReferralCampaign.code).order_by(ReferralCampaign.id.desc())
    ).all()
    return [stats(session, campaign=c) for c in codes]


def record_shares(session: Session, *, campaign: str, member_key: str, count: int = 1) -> int:
    """A member sent ``count`` invitations (shared the poster or link); their total."""
    if count <= 0:
        raise InvalidCommunity("分享次数必须为正", "count must be positive", field="count")
    c = _campaign(session, campaign)
    shares = dict(c.shares or {})
    total = int(shares.get(member_key, 0)) + count
    shares[member_key] = total
    c.shares = shares
    session.flush()
    return total


def _aware(v: datetime) -> datetime:
    from datetime import UTC

    return v if v.tzinfo else v.replace(tzinfo=UTC)


def record_invite(
    session: Session, *, live_code: str, member: GroupMember, at: datetime
) -> Invite | None:
    """The join of ``member`` (with its inviter) as an invite of the campaign running on this
    live code at ``at``; None when no campaign runs there. Once per invitee and campaign."""
    if not member.inviter_key:
        return None
    camp = next(
        (
            c
            for c in session.scalars(
                select(ReferralCampaign).where(
                    ReferralCampaign.live_code == normalize_key(live_code)
                )
            )
            if _aware(c.starts_at) <= at <= _aware(c.ends_at)
        ),
        None,
    )
    if camp is None:
        return None
    found = session.scalar(
        select(Invite).where(Invite.campaign_id == camp.id, Invite.invitee_key == member.member_key)
    )
    if found is not None:
        return found
    inv = Invite(
        campaign_id=camp.id,
        inviter_key=member.inviter_key,
        invitee_key=member.member_key,
        member_id=member.id,
        joined_at=at,
        status="pending",
    )
    session.add(inv)
    session.flush()
    return inv


def _person(session: Session, key: str) -> Person:
    rows = session.scalars(select(GroupMember).where(GroupMember.member_key == key)).all()
    return Person(
        key=key,
        customer_id=next((r.customer_id for r in rows if r.customer_id), None),
        phone=next((r.phone for r in rows if r.phone), None),
        device=next((r.device for r in rows if r.device), None),
    )


def settle(session: Session, *, now: datetime | None = None) -> int:
    """Decide the invites whose 24 hours have passed (the job); valid ones are rewarded.
    Idempotent: a decided invite is not decided again, a reward is one points entry."""
    at = now or utcnow()
    pending = list(
        session.scalars(
            select(Invite)
            .where(Invite.status == "pending", Invite.joined_at <= at - SETTLE_AFTER)
            .order_by(Invite.campaign_id, Invite.id)
        )
    )
    camps = {c.id: c for c in session.scalars(select(ReferralCampaign))}
    for inv in pending:
        earlier = session.scalars(
            select(Invite).where(Invite.campaign_id == inv.campaign_id, Invite.id < inv.id)
        ).all()
        members = {
            m.id: m
            for m in session.scalars(
                select(GroupMember).where(
                    GroupMember.id.in_([e.member_id for e in earlier] + [inv.member_id])
                )
            )
        }
        me = members[inv.member_id]
        inviter = _person(session, inv.inviter_key)
        invitee = Person(me.member_key, me.customer_id, me.phone, me.device)
        reason = abuse_reason(
            invitee,
            inviter,
            earlier_phones={p for e in earlier if (p := members[e.member_id].phone)},
            earlier_devices={d for e in earlier if (d := members[e.member_id].device)},
            joined_at=_aware(me.joined_at),
            left_at=_aware(me.left_at) if me.left_at else None,
        )
        inv.decided_at = at
        if reason is not None:
            inv.status, inv.reason = "refused", reason
            continue
        inv.status = "valid"
        camp = camps[inv.campaign_id]
        if inviter.customer_id:
            ref = idempotency_key("referral", camp.code, inv.invitee_key)
            loyalty.award(
                session,
                customer_id=inviter.customer_id,
                points=camp.reward_points,
                ref=ref,
                note=f"邀请好友入群：{camp.title}",
                now=at,
            )
            inv.points_ref = ref
            messaging.enqueue(
                session,
                MessageRequest(
                    customer_id=inviter.customer_id,
                    template="community_referral_reward",
                    params={
                        "friend": me.name or "好友",
                        "campaign": camp.title,
                        "points": camp.reward_points,
                    },
                    origin=Origin(kind="community", ref=f"referral:{camp.code}"),
                    purpose="transactional",
                    idempotency_key=idempotency_key("community", "reward", ref),
                ),
            )
    session.flush()
    return len(pending)


def stats(session: Session, *, campaign: str) -> CampaignStats:
    c = _campaign(session, campaign)
    invites = session.scalars(select(Invite).where(Invite.campaign_id == c.id)).all()
    by_inviter: Counter[str] = Counter(i.inviter_key for i in invites)
    shares = {k: int(v) for k, v in (c.shares or {}).items()}
    inviters = set(by_inviter) | {k for k, v in shares.items() if v > 0}
    sent = sum(max(shares.get(k, 0), by_inviter.get(k, 0)) for k in inviters)
    status = Counter(i.status for i in invites)
    valid = status.get("valid", 0)
    per = round(sent / len(inviters), 4) if inviters else None
    conv = round(valid / sent, 4) if sent else None
    return CampaignStats(
        code=c.code,
        title=c.title,
        inviters=len(inviters),
        invitations_sent=sent,
        joins=len(invites),
        valid=valid,
        refused=status.get("refused", 0),
        pending=status.get("pending", 0),
        refused_by_reason=dict(Counter(i.reason for i in invites if i.reason)),
        invite_conversion=conv,
        invites_per_inviter=per,
        k_factor=round(valid / len(inviters), 4) if inviters else None,
        points_awarded=sum(c.reward_points for i in invites if i.points_ref),
    )


def tree(session: Session, *, campaign: str, limit: int = 2_000) -> list[InviteNode]:
    """The invite tree: roots are members who invited without being invited in the campaign."""
    c = _campaign(session, campaign)
    invites = session.scalars(
        select(Invite).where(Invite.campaign_id == c.id).order_by(Invite.id).limit(limit)
    ).all()
    names = dict(
        session.execute(
            select(GroupMember.member_key, GroupMember.name).where(
                GroupMember.member_key.in_(
                    {i.invitee_key for i in invites} | {i.inviter_key for i in invites}
                )
            )
        ).all()
    )
    children: dict[str, list[Invite]] = defaultdict(list)
    for i in invites:
        children[i.inviter_key].append(i)
    invited = {i.invitee_key for i in invites}

    def node(key: str, inv: Invite | None, depth: int) -> InviteNode:
        kids = (
            []
            if depth > 20
            else [node(ch.invitee_key, ch, depth + 1) for ch in children.get(key, [])]
        )
        return InviteNode(
            member_key=key,
            name=names.get(key),
            status=inv.status if inv else None,
            reason=inv.reason if inv else None,
            children=kids,
        )

    roots = [k for k in children if k not in invited]
    return [node(k, None, 0) for k in sorted(roots, key=lambda k: -len(children[k]))]


def campaign_read(session: Session, *, campaign: str) -> CampaignRead:
    return CampaignRead(
        stats=stats(session, campaign=campaign), tree=tree(session, campaign=campaign)
    )
