"""The group registry: WeCom customer groups and their members (registered one by one or
imported from the admin console's export through a column mapping), leaving, the daily
statistics, and group health. Services flush; the caller commits."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from omniretail.omnichannel.store import service as store_service
from omniretail.operations.community.errors import InvalidCommunity, UnknownGroup
from omniretail.operations.community.models import CommunityGroup, GroupDay, GroupMember
from omniretail.operations.community.schemas import (
    GroupHealth,
    GroupIn,
    GroupRead,
    ImportMapping,
    ImportResult,
    ImportRowError,
    MemberIn,
    MemberRead,
)
from omniretail.platform.db import utcnow
from omniretail.platform.phone import normalize_phone
from omniretail.platform.timezone import CHAIN_TZ

QUIET_DAYS = 3  # a group with members and no message for this long is quiet
SCENES = {"1": "direct_invite", "2": "invite_link", "3": "qrcode"}  # WeCom join_scene codes
SCENE_WORDS = {"直接邀请": "direct_invite", "邀请链接": "invite_link", "扫描群二维码": "qrcode"}


def aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def chain_day(at: datetime) -> date:
    return aware(at).astimezone(CHAIN_TZ).date()


def _group(session: Session, chat_id: str) -> CommunityGroup:
    row = session.scalar(select(CommunityGroup).where(CommunityGroup.chat_id == chat_id.strip()))
    if row is None:
        raise UnknownGroup(f"群 {chat_id} 不存在", f"no group {chat_id!r}", field="group")
    return row


def member_counts(session: Session, group_ids: list[int] | None = None) -> dict[int, int]:
    q = (
        select(GroupMember.group_id, func.count())
        .where(GroupMember.left_at.is_(None))
        .group_by(GroupMember.group_id)
    )
    if group_ids is not None:
        q = q.where(GroupMember.group_id.in_(group_ids))
    return {g: int(n) for g, n in session.execute(q)}


def group_read(row: CommunityGroup, members: int) -> GroupRead:
    r = GroupRead.model_validate(row)
    r.members = members
    return r


def get_group(session: Session, *, chat_id: str) -> GroupRead:
    row = _group(session, chat_id)
    return group_read(row, member_counts(session, [row.id]).get(row.id, 0))


def list_groups(session: Session, *, store_codes: list[str] | None = None) -> list[GroupRead]:
    q = select(CommunityGroup).order_by(CommunityGroup.store_code, CommunityGroup.chat_id)
    if store_codes is not None:
        q = q.where(CommunityGroup.store_code.in_(store_codes))
    rows = list(session.scalars(q))
    counts = member_counts(session)
    return [group_read(r, counts.get(r.id, 0)) for r in rows]


def upsert_group(session: Session, *, data: GroupIn) -> GroupRead:
    if data.store_code is not None:
        store_service.get_store(session, code=data.store_code)
    row = session.scalar(select(CommunityGroup).where(CommunityGroup.chat_id == data.chat_id))
    if row is None:
        row = CommunityGroup(chat_id=data.chat_id, created_at=data.created_at or utcnow())
        session.add(row)
    row.name, row.owner_staff_id, row.kind = data.name, data.owner_staff_id, data.kind
    if data.store_code is not None:
        row.store_code = data.store_code
    session.flush()
    return get_group(session, chat_id=row.chat_id)


def add_member(session: Session, *, chat_id: str, data: MemberIn) -> tuple[GroupMember, bool]:
    """Record a join (idempotent on group, member and join time); (row, created)."""
    g = _group(session, chat_id)
    return _add(session, g, data)


def _add(session: Session, g: CommunityGroup, data: MemberIn) -> tuple[GroupMember, bool]:
    found = session.scalar(
        select(GroupMember).where(
            GroupMember.group_id == g.id,
            GroupMember.member_key == data.member_key,
            GroupMember.joined_at == data.joined_at,
        )
    )
    if found is not None:
        return found, False
    row = _member(g, data)
    session.add(row)
    day = _day(session, g.id, chain_day(data.joined_at))
    day.joined += 1
    session.flush()
    return row, True


def _member(g: CommunityGroup, data: MemberIn) -> GroupMember:
    return GroupMember(
        group_id=g.id,
        member_key=data.member_key,
        customer_id=data.customer_id,
        name=data.name,
        phone=(normalize_phone(data.phone) or data.phone) if data.phone else None,
        device=data.device,
        joined_at=data.joined_at,
        join_scene=data.join_scene,
        inviter_key=data.inviter_key,
        state=data.state,
        messages=0,
    )


class _GroupBook:
    """One group's stays (member, join time) and days, read once for an import: the rows of a
    file are then checked and counted in memory instead of three statements and a flush each.
    A stay is compared as the database compares it: through the column's bind processor
    (SQLite keeps the text it was given, PostgreSQL the instant)."""

    def __init__(self, session: Session, g: CommunityGroup, *, new: bool) -> None:
        self.group = g
        bind = session.get_bind()
        joined = GroupMember.__table__.c.joined_at.type
        self._key = joined.dialect_impl(bind.dialect).bind_processor(bind.dialect)
        self.stays: set[tuple[str, Any]] = set()
        self.days: dict[date, GroupDay] = {}
        if not new:
            for key, at in session.execute(
                select(GroupMember.member_key, GroupMember.joined_at).where(
                    GroupMember.group_id == g.id
                )
            ):
                self.stays.add((key, self.stay(at)))
            for d in session.scalars(select(GroupDay).where(GroupDay.group_id == g.id)):
                self.days[d.day] = d

    def stay(self, at: datetime) -> Any:
        return self._key(at) if self._key is not None else at

    def add(self, session: Session, data: MemberIn) -> bool:
        stay = (data.member_key, self.stay(data.joined_at))
        if stay in self.stays:
            return False
        self.stays.add(stay)
        session.add(_member(self.group, data))
        day = chain_day(data.joined_at)
        row = self.days.get(day)
        if row is None:
            row = GroupDay(
                group_id=self.group.id, day=day, messages=0, speakers=0, joined=0, left=0
            )
            session.add(row)
            self.days[day] = row
        row.joined += 1
        return True


def _day(session: Session, group_id: int, day: date) -> GroupDay:
    row = session.scalar(select(GroupDay).where(GroupDay.group_id == group_id, GroupDay.day == day))
    if row is None:
        row = GroupDay(group_id=group_id, day=day, messages=0, speakers=0, joined=0, left=0)
        session.add(row)
        session.flush()
    return row


def leave(session: Session, *, chat_id: str, member_key: str, at: datetime | None = None) -> bool:
    """The member left the group (the WeCom change event); False if they were not in it."""
    when = at or utcnow()
    g = _group(session, chat_id)
    row = session.scalar(
        select(GroupMember).where(
            GroupMember.group_id == g.id,
            GroupMember.member_key == member_key,
            GroupMember.left_at.is_(None),
        )
    )
    if row is None:
        return False
    row.left_at = when
    _day(session, g.id, chain_day(when)).left += 1
    session.flush()
    return True


def members(session: Session, *, chat_id: str, limit: int = 500) -> list[MemberRead]:
    g = _group(session, chat_id)
    rows = session.scalars(
        select(GroupMember)
        .where(GroupMember.group_id == g.id)
        .order_by(GroupMember.joined_at)
        .limit(limit)
    )
    return [MemberRead.model_validate(r) for r in rows]


def record_day(session: Session, *, chat_id: str, day: date, messages: int, speakers: int) -> None:
    """A day of the group's statistics (WeCom ``groupchat/statistic``); a rerun overwrites."""
    if messages < 0 or speakers < 0:
        raise InvalidCommunity(
            "消息数和发言人数不能为负", "counts cannot be negative", field="messages"
        )
    g = _group(session, chat_id)
    row = _day(session, g.id, day)
    row.messages, row.speakers = messages, speakers
    if messages:
        end = datetime.combine(day, datetime.max.time(), tzinfo=CHAIN_TZ).astimezone(UTC)
        last = aware(g.last_message_at) if g.last_message_at else None
        g.last_message_at = end if last is None or end > last else last
    session.flush()


def record_message(
    session: Session, *, chat_id: str, member_key: str, at: datetime | None = None
) -> None:
    """One message by a member (the archive of WeCom 会话存档, where the chain uses it)."""
    when = at or utcnow()
    g = _group(session, chat_id)
    m = session.scalar(
        select(GroupMember)
        .where(GroupMember.group_id == g.id, GroupMember.member_key == member_key)
        .order_by(GroupMember.joined_at.desc())
    )
    if m is not None:
        m.messages += 1
        spoke = aware(m.last_spoke_at) if m.last_spoke_at else None
        m.last_spoke_at = when if spoke is None or when > spoke else spoke
    last = aware(g.last_message_at) if g.last_message_at else None
    if last is None or when > last:  # messages may arrive out of order (an archive replay)
        g.last_message_at = when
        g.quiet_since = None
    session.flush()


# --- import -----------------------------------------------------------------------------------


def _parse_time(text: str) -> datetime:
    t = text.strip()
    if t.isdigit():  # WeCom's API gives epoch seconds
        return datetime.fromtimestamp(int(t), UTC)
    for fmt in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M"):
        try:
            return datetime.strptime(t, fmt).replace(tzinfo=CHAIN_TZ)
        except ValueError:
            continue
    raise ValueError(t)


def import_rows(
    session: Session,
    *,
    rows: list[dict[str, str]],
    mapping: ImportMapping | None = None,
    store_code: str | None = None,
    kind: str = "marketing",
) -> ImportResult:
    """Groups and members from a WeCom customer-group export (one row per member). A row that
    cannot be read is returned with its reason and nothing of it is written; a rerun of the
    same file adds nothing."""
    m = mapping or ImportMapping()
    if store_code is not None:
        store_service.get_store(session, code=store_code)
    errors: list[ImportRowError] = []
    groups: set[str] = set()
    books: dict[str, _GroupBook] = {}
    added = skipped = 0
    for n, raw in enumerate(rows, start=2):  # row 1 is the header

        def get(col: str | None, r: dict[str, str] = raw) -> str:
            return (r.get(col) or "").strip() if col else ""

        def bad(field: str, zh: str, en: str, row: int = n) -> None:
            errors.append(ImportRowError(row=row, field=field, message_zh=zh, message=en))

        chat, key = get(m.chat_id), get(m.member_key)
        if not chat:
            bad(m.chat_id, "缺少群ID", "missing chat id")
            continue
        if not key:
            bad(m.member_key, "缺少成员ID", "missing member id")
            continue
        try:
            joined = _parse_time(get(m.joined_at))
        except ValueError:
            bad(m.joined_at, f"入群时间「{get(m.joined_at)}」无法识别", "unreadable join time")
            continue
        scene_raw = get(m.join_scene)
        scene = (
            SCENES.get(scene_raw)
            or SCENE_WORDS.get(scene_raw)
            or (scene_raw if scene_raw in ("direct_invite", "invite_link", "qrcode") else None)
        )
        if scene is None:
            bad(m.join_scene, f"入群方式「{scene_raw}」无法识别", "unknown join scene")
            continue
        row_kind = get(m.kind) or kind
        if row_kind not in ("marketing", "content", "service"):
            bad(m.kind or "kind", f"群类型「{row_kind}」无法识别", "unknown group type")
            continue
        row_store = get(m.store_code) or store_code
        book = books.get(chat)
        if book is None:
            g = session.scalar(select(CommunityGroup).where(CommunityGroup.chat_id == chat))
            new = g is None
            if g is None:
                if row_store is not None and not store_service.store_ids_by_code(
                    session, codes=[row_store]
                ):
                    bad(m.store_code or "store_code", f"门店 {row_store} 不存在", "unknown store")
                    continue
                g = CommunityGroup(
                    chat_id=chat,
                    name=get(m.group_name) or chat,
                    owner_staff_id=get(m.owner) or None,
                    store_code=row_store,
                    kind=row_kind,
                    capacity=200,
                    status="active",
                    created_at=joined,
                )
                session.add(g)
                session.flush()
            book = books[chat] = _GroupBook(session, g, new=new)
        groups.add(chat)
        created = book.add(
            session,
            MemberIn(
                member_key=key,
                name=get(m.name) or None,
                joined_at=joined,
                join_scene=scene,  # type: ignore[arg-type]
                inviter_key=get(m.inviter) or None,
                state=get(m.state) or None,
            ),
        )
        added += created
        skipped += not created
    session.flush()
    return ImportResult(groups=len(groups), members=added, skipped=skipped, errors=errors)


def import_csv(
    session: Session,
    *,
    text: str,
    mapping: ImportMapping | None = None,
    store_code: str | None = None,
    kind: str = "marketing",
) -> ImportResult:
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    return import_rows(session, rows=rows, mapping=mapping, store_code=store_code, kind=kind)


# --- health -----------------------------------------------------------------------------------


def _rate(num: int, den: int) -> float | None:
    return round(num / den, 4) if den else None


def health(
    session: Session, *, store_codes: list[str] | None = None, now: datetime | None = None
) -> list[GroupHealth]:
    """Per group: members now, members who spoke in 7 days, messages in 7 days, new members per
    day (7 days), the silent share (members who did not speak in 30 days), 7/30-day retention
    (of members who joined at least that long ago, the share who stayed that long) and the
    quiet flag (members but no message for ``QUIET_DAYS`` days)."""
    at = now or utcnow()
    groups = list(session.scalars(select(CommunityGroup).where(CommunityGroup.status == "active")))
    if store_codes is not None:
        groups = [g for g in groups if g.store_code in store_codes]
    out: list[GroupHealth] = []
    since7 = at - timedelta(days=7)
    since30 = at - timedelta(days=30)
    day7 = chain_day(at) - timedelta(days=7)
    for g in groups:
        rows = session.execute(
            select(GroupMember.joined_at, GroupMember.left_at, GroupMember.last_spoke_at).where(
                GroupMember.group_id == g.id
            )
        ).all()
        present = [r for r in rows if r.left_at is None]
        spoke = [aware(r.last_spoke_at) for r in present if r.last_spoke_at is not None]
        days = session.execute(
            select(func.sum(GroupDay.messages), func.sum(GroupDay.joined)).where(
                GroupDay.group_id == g.id, GroupDay.day > day7
            )
        ).one()

        def retained(n: int, rows: Sequence[Any] = rows) -> float | None:
            cohort = [r for r in rows if aware(r.joined_at) <= at - timedelta(days=n)]
            stayed = [
                r
                for r in cohort
                if r.left_at is None or aware(r.left_at) - aware(r.joined_at) >= timedelta(days=n)
            ]
            return _rate(len(stayed), len(cohort))

        last = aware(g.last_message_at) if g.last_message_at else aware(g.created_at)
        quiet_days = (at - last).days
        out.append(
            GroupHealth(
                chat_id=g.chat_id,
                name=g.name,
                kind=g.kind,
                store_code=g.store_code,
                members=len(present),
                active_7d=sum(s >= since7 for s in spoke),
                messages_7d=int(days[0] or 0),
                new_per_day_7d=round(int(days[1] or 0) / 7, 2),
                silent_share=_rate(len(present) - sum(s >= since30 for s in spoke), len(present)),
                retention_7d=retained(7),
                retention_30d=retained(30),
                quiet=bool(present) and quiet_days >= QUIET_DAYS,
                quiet_days=quiet_days if present else None,
            )
        )
    out.sort(key=lambda h: (not h.quiet, -h.members))
    return out


def mark_quiet(session: Session, *, now: datetime | None = None) -> int:
    """The quiet-group alert (the job): groups that went quiet get ``quiet_since``; returns
    how many newly went quiet."""
    at = now or utcnow()
    n = 0
    for h in health(session, now=at):
        g = _group(session, h.chat_id)
        if h.quiet and g.quiet_since is None:
            g.quiet_since = at
            n += 1
        elif not h.quiet and g.quiet_since is not None:
            g.quiet_since = None
    session.flush()
    return n
