"""Live codes (群活码): one permanent code per store or campaign. A scan routes to the first
group of the code's list that has room (WeCom caps a customer group at 200); when every group
is full the scan is refused and the code asks the operator for another group (``needs_group``,
also flagged when the last group with room is nearly full). The code's ``state`` is recorded
on every join it brings, which is how joins are attributed; a join through a referral
campaign's code with an inviter becomes an invite of that campaign."""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from omniretail.operations.community import referral
from omniretail.operations.community.errors import (
    CodeClosed,
    GroupsFull,
    InvalidCommunity,
    UnknownCode,
    UnknownGroup,
)
from omniretail.operations.community.models import CommunityGroup, GroupMember, LiveCode
from omniretail.operations.community.schemas import (
    WECOM_CAP,
    JoinIn,
    JoinResult,
    LiveCodeIn,
    LiveCodeRead,
    MemberIn,
)
from omniretail.operations.community.service import _add, _group, group_read, member_counts
from omniretail.platform.db import utcnow
from omniretail.platform.keys import normalize_key

NEARLY_FULL = 190  # ask for the next group while the last one still has a little room


def state_of(code: str) -> str:
    """The WeCom ``state`` of a code (≤ 30 characters, stable)."""
    k = normalize_key(code)
    return ("lc-" + k)[:30] if len(k) <= 27 else "lc-" + hashlib.sha256(k.encode()).hexdigest()[:27]


def _code(session: Session, code: str) -> LiveCode:
    row = session.scalar(select(LiveCode).where(LiveCode.code == normalize_key(code)))
    if row is None:
        raise UnknownCode(f"活码 {code} 不存在", f"no live code {code!r}", field="code")
    return row


def read(session: Session, row: LiveCode) -> LiveCodeRead:
    groups = {
        g.id: g
        for g in session.scalars(select(CommunityGroup).where(CommunityGroup.id.in_(row.group_ids)))
    }
    counts = member_counts(session, list(groups))
    return LiveCodeRead(
        code=row.code,
        name=row.name,
        store_code=row.store_code,
        campaign=row.campaign,
        state=row.state,
        status=row.status,
        scans=row.scans,
        needs_group=row.needs_group_at is not None,
        groups=[group_read(groups[i], counts.get(i, 0)) for i in row.group_ids if i in groups],
    )


def get_code(session: Session, *, code: str) -> LiveCodeRead:
    return read(session, _code(session, code))


def list_codes(session: Session, *, store_codes: list[str] | None = None) -> list[LiveCodeRead]:
    rows = session.scalars(select(LiveCode).order_by(LiveCode.id))
    return [read(session, r) for r in rows if store_codes is None or r.store_code in store_codes]


def create_code(session: Session, *, data: LiveCodeIn) -> LiveCodeRead:
    """Create a code or replace its group list (adding the next group when asked)."""
    ids: list[int] = []
    for n, chat in enumerate(data.groups):
        try:
            g = _group(session, chat)
        except UnknownGroup:
            raise UnknownGroup(
                f"群 {chat} 不存在", f"no group {chat!r}", field=f"groups[{n}]"
            ) from None
        if g.status != "active":
            raise InvalidCommunity(
                f"群「{g.name}」已解散，不能加入活码",
                f"group {chat!r} is dismissed",
                field=f"groups[{n}]",
            )
        if g.id in ids:
            raise InvalidCommunity("群重复", "a group is listed twice", field=f"groups[{n}]")
        ids.append(g.id)
    k = normalize_key(data.code)
    row = session.scalar(select(LiveCode).where(LiveCode.code == k))
    if row is None:
        row = LiveCode(code=k, state=state_of(k), scans=0, status="active", created_at=utcnow())
        session.add(row)
    row.name, row.store_code, row.campaign, row.group_ids = (
        data.name,
        data.store_code,
        data.campaign,
        ids,
    )
    row.needs_group_at = None
    _flag(session, row, utcnow())
    session.flush()
    return read(session, row)


def _flag(session: Session, row: LiveCode, at: datetime) -> None:
    counts = member_counts(session, row.group_ids)
    room = [WECOM_CAP - counts.get(i, 0) for i in row.group_ids]
    if sum(max(r, 0) for r in room) <= WECOM_CAP - NEARLY_FULL:
        row.needs_group_at = row.needs_group_at or at


def route(session: Session, row: LiveCode) -> CommunityGroup:
    """The first active group of the code's list with fewer than 200 members."""
    counts = member_counts(session, row.group_ids)
    groups = {
        g.id: g
        for g in session.scalars(select(CommunityGroup).where(CommunityGroup.id.in_(row.group_ids)))
    }
    for gid in row.group_ids:
        g = groups.get(gid)
        if (
            g is not None
            and g.status == "active"
            and counts.get(gid, 0) < min(g.capacity, WECOM_CAP)
        ):
            return g
    row.needs_group_at = row.needs_group_at or utcnow()
    raise GroupsFull(
        f"活码「{row.name}」的 {len(row.group_ids)} 个群都已满 {WECOM_CAP} 人，请添加新群",
        f"every group of live code {row.code!r} is full ({WECOM_CAP}); add a group",
        field="code",
    )


def join(session: Session, *, code: str, data: JoinIn) -> JoinResult:
    """A scan that ends in a join: routed to the first group with room, recorded with the
    code's ``state``; with an inviter and a referral campaign on this code, an invite of it.
    A member already in one of the code's groups gets that group back (a rescan)."""
    row = _code(session, code)
    if row.status != "active":
        raise CodeClosed(
            f"活码「{row.name}」已停用", f"live code {row.code!r} is closed", field="code"
        )
    at = data.joined_at or utcnow()
    # serialise joins of one code (a group must not pass 200 under concurrent scans)
    from sqlalchemy import update

    session.execute(
        update(LiveCode)
        .where(LiveCode.id == row.id)
        .values(scans=LiveCode.scans + 1)
        .execution_options(synchronize_session=False)
    )
    session.refresh(row)
    already = session.scalar(
        select(GroupMember).where(
            GroupMember.group_id.in_(row.group_ids),
            GroupMember.member_key == data.member_key,
            GroupMember.left_at.is_(None),
        )
    )
    if already is not None:
        g = session.get(CommunityGroup, already.group_id)
        assert g is not None
        return JoinResult(
            group=group_read(g, member_counts(session, [g.id]).get(g.id, 0)),
            state=row.state,
            replayed=True,
            invite_status=None,
        )
    g = route(session, row)
    member, _ = _add(
        session,
        g,
        MemberIn(
            member_key=data.member_key,
            customer_id=data.customer_id,
            name=data.name,
            phone=data.phone,
            device=data.device,
            joined_at=at,
            join_scene="qrcode" if data.inviter_key is None else "invite_link",
            inviter_key=data.inviter_key,
            state=row.state,
        ),
    )
    status = None
    if data.inviter_key:
        inv = referral.record_invite(session, live_code=row.code, member=member, at=at)
        status = inv.status if inv is not None else None
    _flag(session, row, at)
    session.flush()
    return JoinResult(
        group=group_read(g, member_counts(session, [g.id]).get(g.id, 0)),
        state=row.state,
        replayed=False,
        invite_status=status,
    )
