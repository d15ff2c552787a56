"""Clerks' 1:1 conversations from the WeCom conversation archive (会话存档) and the reply
metrics read from them.

The archive export is JSON lines, one message each, as the archive SDK decrypts them::

    {"msgid": "…", "action": "send", "from": "S0001", "tolist": ["wmAbc…"],
     "roomid": "", "msgtime": 1733545200123, "msgtype": "text", …}

(``to`` for ``tolist`` and ``time`` for ``msgtime`` are accepted too; a time is milliseconds
since the epoch or an ISO 8601 instant with its offset). A message between one clerk (a staff
code of a guide) and one external contact is kept, ``out`` when the clerk sent it and ``in``
when the contact did; group-chat messages (``roomid``), recalls (``action`` ``recall``) and
messages between two staff are skipped, counted, not kept. Every other row is quarantined with
its reason (``guide_message_reject``) and the rest imported — a bad row never stops a file. A
re-import of the same file adds nothing (``msgid``; a quarantined line is kept once).

Metrics follow WeCom's 联系客户统计 (``get_user_behavior_data``): a *chat* is a clerk and a
contact on one natural day (chain time zone) that the contact started — their first message
that day came before any of the clerk's. The **reply rate** is the share of those chats the
clerk answered the same day; the **first-reply time** is the mean minutes from the contact's
first message to the clerk's first answer, over the answered chats.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from omniretail.omnichannel.staff import service as staff_service
from omniretail.operations.guide import service
from omniretail.operations.guide.models import GuideMessage, GuideMessageReject
from omniretail.operations.guide.schemas import ChatImportResult, ReplyStats
from omniretail.platform.db import utcnow
from omniretail.platform.timezone import CHAIN_TZ

REASON_ZH = {
    "not_json": "不是 JSON 对象",
    "missing_field": "缺少字段",
    "bad_time": "时间无法识别",
    "bad_recipients": "接收人格式错误",
    "unknown_clerk": "收发双方都不是导购",
    "too_long": "字段过长",
}
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
MAX_LINE = 1_000_000  # characters: a message line beyond this is not a chat message


class _Reject(Exception):
    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason


def _time(value: Any, now: datetime) -> datetime:
    if isinstance(value, bool) or value is None:
        raise _Reject("bad_time", f"time {value!r}")
    if isinstance(value, int | float):
        try:
            at = datetime.fromtimestamp(value / 1000, tz=UTC)
        except (ValueError, OverflowError, OSError):  # NaN, infinite, beyond the calendar
            at = None
    elif isinstance(value, str):
        try:
            at = datetime.fromisoformat(value.strip())
        except ValueError:
            at = None
        if at is not None and at.tzinfo is None:
            raise _Reject("bad_time", f"time {value!r} has no offset")
    else:
        at = None
    if at is None or not EARLIEST <= at <= now + timedelta(days=1):
        raise _Reject("bad_time", f"time {value!r}")
    return at.astimezone(UTC)


def _text(row: dict[str, Any], *names: str) -> str:
    for name in names:
        v = row.get(name)
        if isinstance(v, str) and v.strip():
            if len(v.strip()) > 128:
                raise _Reject("too_long", f"{name} is longer than 128 characters")
            return v.strip()
    raise _Reject("missing_field", f"no {names[0]!r}")


def _parse(line: str, clerks: set[str], now: datetime) -> dict[str, Any] | None:
    """One archive line → a message to keep, None for one to skip; _Reject for a bad row."""
    try:
        row = json.loads(line)
    except ValueError:
        raise _Reject("not_json", "not JSON") from None
    if not isinstance(row, dict):
        raise _Reject("not_json", "not a JSON object")
    msgid = _text(row, "msgid")
    sender = _text(row, "from")
    to = row.get("tolist", row.get("to"))
    if isinstance(to, str):
        to = [to]
    if not isinstance(to, list) or not to or not all(isinstance(t, str) and t for t in to):
        raise _Reject("bad_recipients", f"recipients {to!r}")
    at = _time(row.get("msgtime", row.get("time")), now)
    msgtype = _text(row, "msgtype")
    if row.get("action", "send") == "recall" or (row.get("roomid") or "") or len(to) != 1:
        return None  # a recall or a group chat: not a 1:1 message
    receiver = to[0].strip()
    if sender in clerks and receiver in clerks:
        return None  # between colleagues
    if sender in clerks:
        staff, contact, direction = sender, receiver, "out"
    elif receiver in clerks:
        staff, contact, direction = receiver, sender, "in"
    else:
        raise _Reject("unknown_clerk", f"neither {sender!r} nor {receiver!r} is a clerk")
    if len(contact) > 64:
        raise _Reject("too_long", "the contact id is longer than 64 characters")
    return {
        "msgid": msgid,
        "staff_code": staff,
        "contact": contact,
        "direction": direction,
        "msgtype": msgtype[:24],
        "at": at,
    }


def import_archive(
    session: Session, *, lines: Iterable[str], source: str, now: datetime | None = None
) -> ChatImportResult:
    """Import one archive file (its lines); see the module. Services flush; the caller
    commits."""
    at = now or utcnow()
    clerks = {
        s.staff_id for s in staff_service.list_staff(session) if s.role in service.GUIDE_ROLES
    }
    pg = session.get_bind().dialect.name == "postgresql"
    insert = pg_insert if pg else sqlite_insert
    keep: list[dict[str, Any]] = []
    reasons: dict[str, int] = defaultdict(int)
    received = skipped = 0
    rejects: list[dict[str, Any]] = []
    for n, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        received += 1
        try:
            if len(line) > MAX_LINE:
                raise _Reject("too_long", "the line is too long")
            msg = _parse(line, clerks, at)
        except _Reject as r:
            reasons[r.reason] += 1
            rejects.append(
                {"source": source[:128], "line_no": n, "reason": r.reason, "raw": line[:2000],
                 "at": at}
            )  # fmt: skip
            continue
        if msg is None:
            skipped += 1
        else:
            keep.append(msg)
    before = _count(session)
    for i in range(0, len(keep), 5000):
        session.execute(insert(GuideMessage).values(keep[i : i + 5000]).on_conflict_do_nothing())
    for i in range(0, len(rejects), 5000):
        session.execute(
            insert(GuideMessageReject).values(rejects[i : i + 5000]).on_conflict_do_nothing()
        )
    session.flush()
    imported = _count(session) - before
    return ChatImportResult(
        source=source,
        received=received,
        imported=imported,
        duplicates=len(keep) - imported,
        skipped=skipped,
        quarantined=sum(reasons.values()),
        reasons=dict(sorted(reasons.items())),
    )


def _count(session: Session) -> int:
    from sqlalchemy import func

    return int(session.scalar(select(func.count()).select_from(GuideMessage)) or 0)


@dataclass
class _Chat:
    started: datetime | None = None  # the contact's first message, if before the clerk's
    replied: datetime | None = None


def reply_stats(
    session: Session,
    *,
    since: datetime,
    until: datetime | None = None,
    staff_codes: Iterable[str] | None = None,
) -> dict[str, ReplyStats]:
    """Per clerk over [since, until): chats the contact started, those answered the same day,
    the reply rate and the mean first-reply minutes (see the module)."""
    q = (
        select(GuideMessage.staff_code, GuideMessage.contact, GuideMessage.direction,
               GuideMessage.at)
        .where(GuideMessage.at >= since)
        .order_by(GuideMessage.staff_code, GuideMessage.contact, GuideMessage.at,
                  GuideMessage.id)
    )  # fmt: skip
    if until is not None:
        q = q.where(GuideMessage.at < until)
    if staff_codes is not None:
        q = q.where(GuideMessage.staff_code.in_(sorted(set(staff_codes))))
    chats: dict[tuple[str, str, date], _Chat] = {}
    for staff, contact, direction, at in session.execute(q):
        at = service.aware(at)
        k = (staff, contact, at.astimezone(CHAIN_TZ).date())
        c = chats.get(k)
        if c is None:
            c = chats[k] = _Chat()
            if direction == "in":
                c.started = at  # else the clerk spoke first: not a chat the contact started
            continue
        if c.started is not None and c.replied is None and direction == "out":
            c.replied = at
    out: dict[str, list[float | None]] = defaultdict(list)
    for (staff, _, _), c in chats.items():
        if c.started is None:
            continue
        out[staff].append(
            None if c.replied is None else (c.replied - c.started).total_seconds() / 60
        )
    result = {}
    for staff, mins in out.items():
        answered = [m for m in mins if m is not None]
        result[staff] = ReplyStats(
            staff_code=staff,
            chats=len(mins),
            replied=len(answered),
            reply_rate=len(answered) / len(mins),
            first_reply_minutes=sum(answered) / len(answered) if answered else None,
        )
    return result


def rejects(session: Session, *, limit: int = 100) -> list[GuideMessageReject]:
    return list(
        session.scalars(
            select(GuideMessageReject).order_by(GuideMessageReject.id.desc()).limit(limit)
        )
    )
