"""The outbox: enqueue (idempotent by key), dispatch with retries, receipts.

Sending is a side effect, so it happens after commit: ``dispatch`` claims due messages in
one transaction (queued → sending, a conditional update, so two dispatchers never claim the
same message), sends outside any transaction, and records each outcome in another. A send
that fails is retried with exponential back-off up to ``max_attempts``; a message whose
dispatcher died mid-send is released after ``stale_after`` and sent again with the same
idempotency key, so providers that honour it deliver once.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, func, insert, select, update
from sqlalchemy.exc import InvalidRequestError, StatementError
from sqlalchemy.orm import Session, sessionmaker

from omniretail.marketing.messaging.adapters import OutgoingMessage, SendError, get_adapter
from omniretail.marketing.messaging.config import MessagingSettings, get_messaging_settings
from omniretail.marketing.messaging.models import Message, MessageEvent
from omniretail.platform import bulk
from omniretail.platform.db import utcnow
from omniretail.platform.errors import InvalidInput, NotFound

EVENT_KINDS = ("delivered", "opened", "clicked", "bounced", "failed", "unsubscribed")


def _copy_messages(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Write ``rows`` with ``COPY`` (PostgreSQL + psycopg) in the session's transaction, as
    the Core INSERT would: the same columns, Python-side defaults filled per row, the payload
    serialised as SQLAlchemy's JSON type does; a duplicate key raises ``IntegrityError``."""
    table = cast(Table, Message.__table__)
    conn = session.connection()
    given = [k for k in rows[0] if k in table.c]  # other keys are ignored, as by executemany
    defaults: dict[str, Any] = {
        c.name: c.default for c in table.c if c.default is not None and c.name not in given
    }
    dumps: Callable[[Any], str] = getattr(conn.dialect, "_json_serializer", None) or json.dumps
    out: list[dict[str, Any]] = []
    for i, r in enumerate(rows):  # like executemany: the first row's keys name the columns
        try:
            row = {c: r[c] for c in given}
        except KeyError as exc:
            inner = InvalidRequestError(
                f"A value is required for bind parameter {exc.args[0]!r}, in parameter group {i}"
            )
            raise StatementError(str(inner), f"COPY {table.name}", None, inner) from exc
        for c, d in defaults.items():
            row[c] = d.arg(None) if d.is_callable else d.arg
        if "payload" in row:  # None too: the JSON type stores it as JSON null
            row["payload"] = dumps(row["payload"])
        out.append(row)
    bulk.insert_rows(session, table, out)


def enqueue(session: Session, rows: Sequence[dict[str, Any]]) -> int:
    """Insert messages whose key is new; returns how many were added (retries add none).

    Keys already in the outbox are skipped; the same new key twice in ``rows`` is an
    ``IntegrityError`` (the unique key), on every store. On PostgreSQL the existing keys are
    looked up with one array parameter and the new rows written with ``COPY``."""
    keys = [r["key"] for r in rows]
    existing: set[str] = set()
    for where in bulk.one_of(session, Message.key, keys):
        existing.update(session.scalars(select(Message.key).where(where)))
    todo = [r for r in rows if r["key"] not in existing]
    if todo and bulk.uses_copy(session):
        _copy_messages(session, todo)
    else:
        stmt = insert(cast(Table, Message.__table__))  # Core executemany: no ORM objects
        for i in range(0, len(todo), bulk.BATCH):
            session.execute(stmt, todo[i : i + bulk.BATCH])
    session.flush()
    return len(todo)


def recent_counts(
    session: Session, customer_ids: Sequence[str], *, now: datetime
) -> tuple[dict[str, int], dict[tuple[str, str], int]]:
    """Messages per customer in the last 7 days and per (customer, channel) in the last day."""
    week: dict[str, int] = {}
    day: dict[tuple[str, str], int] = {}
    live = ("queued", "sending", "sent", "delivered")
    for where in bulk.one_of(session, Message.customer_id, customer_ids):
        q = (
            select(Message.customer_id, Message.channel, Message.due_at, func.count())
            .where(
                where,
                Message.status.in_(live),
                Message.due_at >= now - timedelta(days=7),
            )
            .group_by(Message.customer_id, Message.channel, Message.due_at)
        )
        for cid, ch, due, n in session.execute(q):
            week[cid] = week.get(cid, 0) + n
            due_aware = due if due.tzinfo else due.replace(tzinfo=now.tzinfo)
            if due_aware >= now - timedelta(days=1):
                day[(cid, ch)] = day.get((cid, ch), 0) + n
    return week, day


def preempt_lower_priority(
    session: Session, customer_ids: Sequence[str], *, priority: int, now: datetime, by: str
) -> int:
    """A higher-priority campaign takes the slot of queued, unsent, lower-priority messages."""
    n = 0
    for where in bulk.one_of(session, Message.customer_id, customer_ids):
        res = session.execute(
            update(Message)
            .where(
                where,
                Message.status == "queued",
                Message.priority < priority,
                Message.due_at >= now - timedelta(days=1),
            )
            .values(status="suppressed", error=f"preempted by higher-priority campaign {by}")
            .execution_options(synchronize_session=False)
        )
        n += int(getattr(res, "rowcount", 0) or 0)
    return n


@dataclass
class DispatchResult:
    claimed: int = 0
    sent: int = 0
    retried: int = 0
    failed: int = 0
    by_channel: dict[str, int] = field(default_factory=dict)


def _to_outgoing(m: Message) -> OutgoingMessage:
    p = m.payload or {}
    return OutgoingMessage(
        id=m.id,
        key=m.key,
        customer_id=m.customer_id,
        recipient=m.recipient,
        title=str(p.get("title", "")),
        body=str(p.get("body", "")),
        link=p.get("link"),
        extra=dict(p.get("extra", {})),
    )


def dispatch(
    factory: sessionmaker[Session],
    *,
    limit: int = 500,
    now: datetime | None = None,
    settings: MessagingSettings | None = None,
    stale_after: timedelta = timedelta(minutes=10),
) -> DispatchResult:
    """Send due messages. Owns its transactions (it is a job, not a service called in one)."""
    settings = settings or get_messaging_settings()
    now = now or utcnow()
    result = DispatchResult()
    with factory() as s, s.begin():
        s.execute(
            update(Message)
            .where(Message.status == "sending", Message.due_at < now - stale_after)
            .values(status="queued")
            .execution_options(synchronize_session=False)
        )
        ids = list(
            s.scalars(
                select(Message.id)
                .where(Message.status == "queued", Message.due_at <= now)
                .order_by(Message.priority.desc(), Message.due_at, Message.id)
                .limit(limit)
            )
        )
        claimed: list[int] = []
        for mid in ids:
            res = s.execute(
                update(Message)
                .where(Message.id == mid, Message.status == "queued")
                .values(status="sending", attempts=Message.attempts + 1, due_at=now)
                .execution_options(synchronize_session=False)
            )
            if getattr(res, "rowcount", 0):
                claimed.append(mid)
        messages = (
            list(s.scalars(select(Message).where(Message.id.in_(claimed)))) if claimed else []
        )
        s.expunge_all()
    result.claimed = len(messages)
    adapters: dict[str, Any] = {}
    outcomes: list[tuple[Message, str | None, SendError | Exception | None]] = []
    for m in messages:
        try:
            adapter = adapters.get(m.channel) or get_adapter(m.channel, settings)
            adapters[m.channel] = adapter
            outcomes.append((m, adapter.send(_to_outgoing(m)), None))
        except (SendError, KeyError) as exc:
            outcomes.append((m, None, exc))
    with factory() as s, s.begin():
        for m, external_id, err in outcomes:
            if err is None:
                s.execute(
                    update(Message)
                    .where(Message.id == m.id)
                    .values(status="sent", sent_at=utcnow(), external_id=external_id, error=None)
                )
                result.sent += 1
                result.by_channel[m.channel] = result.by_channel.get(m.channel, 0) + 1
            elif isinstance(err, SendError) and err.retry and m.attempts < settings.max_attempts:
                backoff = timedelta(seconds=30 * 2 ** (m.attempts - 1))
                s.execute(
                    update(Message)
                    .where(Message.id == m.id)
                    .values(status="queued", due_at=now + backoff, error=str(err))
                )
                result.retried += 1
            else:
                s.execute(
                    update(Message)
                    .where(Message.id == m.id)
                    .values(status="failed", error=str(err))
                )
                result.failed += 1
    return result


def record_event(
    session: Session,
    *,
    message_id: int,
    kind: str,
    detail: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> bool:
    """Record a receipt once; returns False when it was already recorded (a retried callback)."""
    if kind not in EVENT_KINDS:
        raise InvalidInput(
            f"unknown receipt kind {kind!r}; use one of {', '.join(EVENT_KINDS)}", field="kind"
        )
    msg = session.get(Message, message_id)
    if msg is None:
        raise NotFound(f"no message {message_id}", field="message_id")
    if session.scalar(
        select(MessageEvent.id).where(
            MessageEvent.message_id == message_id, MessageEvent.kind == kind
        )
    ):
        return False
    session.add(MessageEvent(message_id=message_id, kind=kind, detail=detail, at=at or utcnow()))
    if kind == "delivered" and msg.status == "sent":
        msg.status = "delivered"
    if kind in ("bounced", "failed"):
        msg.status = "failed"
    session.flush()
    return True
