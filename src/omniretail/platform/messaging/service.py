"""Messaging for every sender: the typed enqueue, the outbox dispatch and receipts.

``enqueue(session, MessageRequest(...))`` queues one message under the rules of its purpose
(``policy``): marketing needs the channel's opt-in, respects the frequency caps and waits out
quiet hours; transactional goes at once, past the caps, stopped only by an opt-out that binds
every message on that channel. A message the rules stop is still recorded (status
``suppressed`` with the reason), so a replay of the same ``idempotency_key`` (normalised with
``platform.keys``) returns the same message and never sends twice.

``enqueue_many`` is the bulk path of planners that already applied these rules with the
functions below (the campaign plan step: one audience read, caps counted once per member).

Sending is a side effect, so it happens after commit: ``dispatch`` claims due messages in
one transaction (queued → sending, a conditional update, so two dispatchers never claim the
same message), sends outside any transaction, and records each outcome in another. A send
that fails is retried with exponential back-off up to ``max_attempts``; a message whose
dispatcher died mid-send is released after ``stale_after`` and sent again with the same
idempotency key, so providers that honour it deliver once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, func, select, true, update
from sqlalchemy.orm import Session, sessionmaker

from omniretail.platform import bulk
from omniretail.platform.bounds import as_utc
from omniretail.platform.clock import business_now
from omniretail.platform.db import utcnow
from omniretail.platform.errors import InvalidInput, NotFound
from omniretail.platform.keys import normalize_key
from omniretail.platform.messaging import policy as rules
from omniretail.platform.messaging import templates
from omniretail.platform.messaging.adapters import (
    OutgoingMessage,
    SendError,
    adapter_names,
    get_adapter,
)
from omniretail.platform.messaging.config import MessagingSettings, get_messaging_settings
from omniretail.platform.messaging.contacts import CustomerContacts, contacts_for
from omniretail.platform.messaging.models import Message, MessageEvent
from omniretail.platform.messaging.outbox import write_rows
from omniretail.platform.messaging.schemas import (
    MessageRead,
    MessageRequest,
    PlannedBatch,
    PlannedRecipient,
)

EVENT_KINDS = ("delivered", "opened", "clicked", "bounced", "failed", "unsubscribed")
LIVE = ("queued", "sending", "sent", "delivered")
# Channels tried, in this order, after the customer's own preference, when none is named.
FALLBACK_ORDER = ("wechat", "app_push", "sms", "email", "wecom")


def _utc(at: datetime) -> datetime:
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def _row(
    req: MessageRequest,
    *,
    key: str,
    channel: str,
    recipient: str,
    title: str,
    body: str,
    status: str,
    due: datetime,
    now: datetime,
    error: str | None,
    click_base: str,
) -> dict[str, Any]:
    return {
        "key": key,
        "origin_kind": req.origin.kind,
        "origin_ref": req.origin.ref,
        "purpose": req.purpose,
        "template": req.template,
        "campaign_id": req.campaign_id,
        "customer_id": req.customer_id,
        "channel": channel,
        "recipient": recipient,
        "payload": {
            "title": title,
            "body": body,
            # tracked through /r/{key}: every marketing message, and any message with a link
            "link": f"{click_base}/r/{key}" if req.link or req.purpose == "marketing" else None,
            "target": req.link,
            "extra": dict(req.extra),
            **({"params": req.params} if req.params else {}),
        },
        "priority": req.priority,
        "status": status,
        "due_at": due,
        "attempts": 0,
        "created_at": now,
        "error": error,
    }


def _choose(
    req: MessageRequest, contacts: CustomerContacts | None
) -> tuple[str | None, str | None, str | None]:
    """(channel, recipient, why not) under the rules of the request's purpose."""
    addresses = dict(contacts.addresses) if contacts else {}
    consent = dict(contacts.consent) if contacts else {}
    if req.channel:
        order = [req.channel]
    else:
        preferred = list(contacts.preferred) if contacts else []
        order = [*preferred, *(c for c in FALLBACK_ORDER if c not in preferred)]
    reasons: list[str] = []
    for ch in order:
        address = req.recipient if req.recipient and req.channel == ch else addresses.get(ch)
        if not address:
            reasons.append(f"{ch}:no-address")
            continue
        refusal = rules.channel_refusal(
            ch, consent.get(rules.CONSENT_CHANNEL.get(ch, ch)), purpose=req.purpose
        )
        if refusal:
            reasons.append(refusal)
            continue
        return ch, address, None
    if contacts is None and not req.recipient:
        reasons.insert(0, "unknown customer")
    return None, None, ",".join(reasons) or "no channel"


def _existing(session: Session, key: str) -> Message | None:
    return session.scalar(select(Message).where(Message.key == key))


def enqueue(
    session: Session,
    request: MessageRequest,
    *,
    now: datetime | None = None,
    policy: rules.PressurePolicy | None = None,
) -> MessageRead:
    """Queue one message (or record why the rules stop it). Idempotent on the normalised
    ``idempotency_key``: a replay returns the message of the first call, unchanged."""
    key = normalize_key(request.idempotency_key)
    found = _existing(session, key)
    if found is not None:
        return MessageRead.model_validate(found)
    if request.channel is not None and request.channel not in adapter_names():
        raise InvalidInput(
            f"未知的消息渠道 {request.channel!r}；可用：{', '.join(adapter_names())}",
            field="channel",
        )
    now = _utc(now or utcnow())
    policy = policy or rules.PressurePolicy()
    title, body = templates.render(
        request.template, request.params, subject=request.subject, body=request.body
    )
    contacts = contacts_for(session, [request.customer_id]).get(request.customer_id)
    channel, recipient, why = _choose(request, contacts)
    due = _utc(request.due_at) if request.due_at else now
    if request.purpose == "marketing" and channel is not None:
        week, day = recent_counts(session, [request.customer_id], now=now)
        why = rules.pressure_verdict(
            week_count=week.get(request.customer_id, 0),
            channel_today=day.get((request.customer_id, channel), 0),
            policy=policy,
        )
        due = rules.next_send_time(max(due, now), policy)
    row = _row(
        request,
        key=key,
        channel=channel or request.channel or "none",
        recipient=recipient or "",
        title=title,
        body=body,
        status="suppressed" if why else "queued",
        due=due,
        now=now,
        error=why,
        click_base=get_messaging_settings().click_base_url,
    )
    write_rows(session, [row])
    msg = _existing(session, key)
    assert msg is not None
    return MessageRead.model_validate(msg)


def enqueue_many(
    session: Session, requests: Sequence[MessageRequest], *, now: datetime | None = None
) -> int:
    """Queue messages a planner already checked against the rules (channel, recipient,
    consent, caps, quiet hours: each request names its ``channel``, ``recipient`` and
    ``due_at``). Returns how many were new; keys already queued are skipped."""
    now = _utc(now or utcnow())
    click_base = get_messaging_settings().click_base_url
    rows = []
    for req in requests:
        if not req.channel or not req.recipient:
            raise InvalidInput(
                "enqueue_many needs planned messages: channel and recipient", field="channel"
            )
        title, body = templates.render(req.template, req.params, subject=req.subject, body=req.body)
        rows.append(
            _row(
                req,
                key=normalize_key(req.idempotency_key),
                channel=req.channel,
                recipient=req.recipient,
                title=title,
                body=body,
                status="queued",
                due=_utc(req.due_at) if req.due_at else now,
                now=now,
                error=None,
                click_base=click_base,
            )
        )
    return write_rows(session, rows)


def enqueue_planned(
    session: Session,
    batch: PlannedBatch,
    recipients: Sequence[PlannedRecipient],
    *,
    now: datetime | None = None,
) -> int:
    """Queue a planned batch (the bulk path of campaigns: the batch is validated once, each
    recipient is a light record). Returns how many were new; keys already queued are skipped."""
    now = _utc(now or utcnow())
    click_base = get_messaging_settings().click_base_url
    due = _utc(batch.due_at)
    track = batch.purpose == "marketing"
    unknown = {r.content for r in recipients} - set(batch.contents)
    if unknown:
        raise InvalidInput(
            f"recipients read contents the batch does not have: {sorted(unknown)}",
            field="contents",
        )
    contents = {k: c.model_dump() for k, c in batch.contents.items()}
    base = {
        "origin_kind": batch.origin.kind,
        "origin_ref": batch.origin.ref,
        "purpose": batch.purpose,
        "template": None,
        "campaign_id": batch.campaign_id,
        "priority": batch.priority,
        "status": "queued",
        "due_at": due,
        "attempts": 0,
        "created_at": now,
        "error": None,
    }
    rows = []
    for r in recipients:
        c = contents[r.content]
        key = normalize_key(r.idempotency_key)
        payload: dict[str, Any] = {
            "title": c["subject"],
            "body": c["body"],
            "link": f"{click_base}/r/{key}" if track or c["link"] else None,
            "target": c["link"],
            "extra": c["extra"],
        }
        if r.fallback:
            payload["fallback"] = [{"channel": ch, "recipient": to} for ch, to in r.fallback]
        rows.append(
            {
                "key": key,
                "customer_id": r.customer_id,
                "channel": r.channel,
                "recipient": r.recipient,
                "payload": payload,
                **base,
            }
        )
    return write_rows(session, rows)


def get_message(session: Session, *, key: str) -> MessageRead:
    msg = _existing(session, normalize_key(key))
    if msg is None:
        raise NotFound(f"没有消息 {key!r}", field="key")
    return MessageRead.model_validate(msg)


def recent_counts(
    session: Session, customer_ids: Sequence[str], *, now: datetime
) -> tuple[dict[str, int], dict[tuple[str, str], int]]:
    """Marketing messages per customer in the last 7 days and per (customer, channel) in the
    last day (what the frequency caps count; transactional messages do not count)."""
    week: dict[str, int] = {}
    day: dict[tuple[str, str], int] = {}
    for where in bulk.one_of(session, Message.customer_id, customer_ids):
        q = (
            select(Message.customer_id, Message.channel, Message.due_at, func.count())
            .where(
                where,
                Message.purpose == "marketing",
                Message.status.in_(LIVE),
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
    """A higher-priority campaign takes the slot of queued, unsent, lower-priority marketing
    messages (a transactional message is never preempted)."""
    n = 0
    for where in bulk.one_of(session, Message.customer_id, customer_ids):
        res = session.execute(
            update(Message)
            .where(
                where,
                Message.status == "queued",
                Message.purpose == "marketing",
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
    fallbacks: int = 0  # failed for good on one channel, queued on the next one
    by_channel: dict[str, int] = field(default_factory=dict)


FALLBACK_SEP = "|"  # a fallback message's key: the failed message's key | its channel


def _fallback_row(
    m: Message, error: str, *, now: datetime, click_base: str
) -> dict[str, Any] | None:
    """The next channel's message for a message that failed for good, when its sender gave a
    fallback order (``payload.fallback``): same content, the next channel and address, the
    rest of the order; a marketing message still waits out quiet hours. Idempotent: its key
    is the failed message's key and the channel."""
    p = dict(m.payload or {})
    order = list(p.get("fallback") or [])
    if not order:
        return None
    nxt, rest = order[0], order[1:]
    key = f"{m.key}{FALLBACK_SEP}{nxt['channel']}"
    if p.get("link") and str(p["link"]).endswith(f"/r/{m.key}"):
        p["link"] = f"{click_base}/r/{key}"
    p.update(fallback=rest, fallback_from=m.channel, fallback_error=error[:200])
    due = rules.next_send_time(now, rules.PressurePolicy()) if m.purpose == "marketing" else now
    return {
        "key": key,
        "origin_kind": m.origin_kind,
        "origin_ref": m.origin_ref,
        "purpose": m.purpose,
        "template": m.template,
        "campaign_id": m.campaign_id,
        "customer_id": m.customer_id,
        "channel": str(nxt["channel"]),
        "recipient": str(nxt["recipient"]),
        "payload": p,
        "priority": m.priority,
        "status": "queued",
        "due_at": due,
        "attempts": 0,
        "created_at": now,
        "error": None,
    }


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
        due_rows = s.execute(
            select(Message.id, Message.due_at)
            .where(Message.status == "queued", Message.due_at <= now)
            .order_by(Message.priority.desc(), Message.due_at, Message.id)
            .limit(limit)
        ).all()
        # the claim overwrites due_at (the stale-claim clock); sent_at must not precede it
        due_at = {mid: _utc(d) for mid, d in due_rows}
        claimed: list[int] = []
        for mid, _ in due_rows:
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
        except (SendError, KeyError, UnicodeError) as exc:
            # UnicodeError: text no transport can encode (an unpaired surrogate stored before
            # the API refused such input) fails this message, not the whole dispatch
            outcomes.append((m, None, exc))
    # sent in the business clock: a demo instance sends in its world's time, never after it
    sent_now = business_now()
    with factory() as s, s.begin():
        for m, external_id, err in outcomes:
            if err is None:
                sent_at = max(sent_now, due_at.get(m.id, sent_now))
                s.execute(
                    update(Message)
                    .where(Message.id == m.id)
                    .values(status="sent", sent_at=sent_at, external_id=external_id, error=None)
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
                nxt = _fallback_row(m, str(err), now=now, click_base=settings.click_base_url)
                if nxt is not None and write_rows(s, [nxt]):
                    result.fallbacks += 1
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
    if at is None:
        # the business clock, as sends are stamped: in a demo instance a receipt or click comes
        # in the world's time, and never before the message went out
        sent = as_utc(msg.sent_at)
        at = business_now() if sent is None else max(business_now(), sent)
    session.add(MessageEvent(message_id=message_id, kind=kind, detail=detail, at=at))
    if kind == "delivered" and msg.status == "sent":
        msg.status = "delivered"
    if kind in ("bounced", "failed"):
        msg.status = "failed"
    session.flush()
    return True


def withdraw(session: Session, *, campaign_id: int, reason: str) -> int:
    """Suppress a campaign's queued, unsent messages (the campaign was cancelled)."""
    res = session.execute(
        update(Message)
        .where(Message.campaign_id == campaign_id, Message.status == "queued")
        .values(status="suppressed", error=reason)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(res, "rowcount", 0) or 0)


def _of_customers(customers: Any | None) -> ColumnElement[bool]:
    """Messages to ``customers`` (a ``SELECT`` of customer ids, e.g. a campaign's members of
    some stores), or every message when ``None``."""
    return true() if customers is None else Message.customer_id.in_(customers)


def status_counts(
    session: Session,
    *,
    campaign_id: int,
    origin_ref: str | None = None,
    customers: Any | None = None,
) -> dict[str, int]:
    """A campaign's messages by status (optionally of one run: ``origin_ref`` ``CODE:N``;
    of ``customers`` only: a ``SELECT`` of customer ids)."""
    q = select(Message.status, func.count()).where(
        Message.campaign_id == campaign_id, _of_customers(customers)
    )
    if origin_ref is not None:
        q = q.where(Message.origin_ref == origin_ref)
    return {str(k): int(n) for k, n in session.execute(q.group_by(Message.status))}


def event_counts(
    session: Session,
    *,
    campaign_id: int,
    origin_ref: str | None = None,
    customers: Any | None = None,
) -> dict[str, int]:
    """A campaign's receipts by kind (delivered, opened, clicked…)."""
    q = (
        select(MessageEvent.kind, func.count())
        .join(Message, Message.id == MessageEvent.message_id)
        .where(Message.campaign_id == campaign_id, _of_customers(customers))
    )
    if origin_ref is not None:
        q = q.where(Message.origin_ref == origin_ref)
    return {str(k): int(n) for k, n in session.execute(q.group_by(MessageEvent.kind))}


FAILURE_KINDS = ("not_configured", "no_address", "refused", "unreachable", "other")


def failure_kind(error: str | None) -> str:
    """What a failed or suppressed message's ``error`` means, as a code the console labels:
    the channel is not configured, the customer has no address on it, the provider or the
    recipient refused it, the provider could not be reached, or something else."""
    text = (error or "").lower()
    if "is not set" in text or "not configured" in text or "no channel adapter" in text:
        return "not_configured"
    if "no-address" in text or "no address" in text:
        return "no_address"
    if "refused" in text or "errcode" in text or "http 4" in text:
        return "refused"
    if "smtp" in text or "http" in text or "timed out" in text or "connect" in text:
        return "unreachable"
    return "other"


def channel_outcomes(
    session: Session, *, campaign_id: int, customers: Any | None = None
) -> dict[str, dict[str, Any]]:
    """A campaign's messages per channel: counts by status and, for failed and suppressed
    ones, counts by ``failure_kind`` with one example error each (one grouped query)."""
    rows = session.execute(
        select(Message.channel, Message.status, Message.error, func.count())
        .where(Message.campaign_id == campaign_id, _of_customers(customers))
        .group_by(Message.channel, Message.status, Message.error)
    )
    out: dict[str, dict[str, Any]] = {}
    for channel, status, error, n in rows:
        block = out.setdefault(
            str(channel),
            {"statuses": {}, "failures": {}, "suppressions": {}, "examples": {}},
        )
        block["statuses"][str(status)] = block["statuses"].get(str(status), 0) + int(n)
        if status in ("failed", "suppressed"):
            kind = failure_kind(error)
            key = "failures" if status == "failed" else "suppressions"
            block[key][kind] = block[key].get(kind, 0) + int(n)
            if error:
                block["examples"].setdefault(kind, str(error)[:200])
    return out


def waiting(
    session: Session, *, campaign_id: int, customers: Any | None = None
) -> tuple[int, datetime | None]:
    """A campaign's queued messages (to ``customers`` only when given) and the earliest time
    one of them is due."""
    n, first = session.execute(
        select(func.count(), func.min(Message.due_at)).where(
            Message.campaign_id == campaign_id,
            Message.status == "queued",
            _of_customers(customers),
        )
    ).one()
    return int(n or 0), (_utc(first) if first is not None else None)


def fallback_counts(
    session: Session, *, campaign_id: int, customers: Any | None = None
) -> dict[tuple[str, str], int]:
    """A campaign's fallbacks: (failed channel, next channel) → messages passed on."""
    rows = session.execute(
        select(Message.channel, Message.payload).where(
            Message.campaign_id == campaign_id,
            Message.key.contains(FALLBACK_SEP),
            _of_customers(customers),
        )
    )
    out: dict[tuple[str, str], int] = {}
    for channel, payload in rows:
        pair = (str((payload or {}).get("fallback_from")), str(channel))
        out[pair] = out.get(pair, 0) + 1
    return out


def sent_by_campaign(
    session: Session, *, where: ColumnElement[bool] | None = None
) -> dict[int, int]:
    """Messages sent (or delivered) per campaign; only those matching ``where`` (a condition
    on ``Message``, e.g. a caller's stores' members) when given."""
    rows = session.execute(
        select(Message.campaign_id, func.count())
        .where(
            Message.status.in_(("sent", "delivered")),
            Message.campaign_id.is_not(None),
            true() if where is None else where,
        )
        .group_by(Message.campaign_id)
    )
    return {int(cid): int(n) for cid, n in rows if cid is not None}


def failed_by_campaign(
    session: Session, *, where: ColumnElement[bool] | None = None
) -> dict[int, int]:
    """Messages that failed, per campaign (matching ``where`` when given)."""
    rows = session.execute(
        select(Message.campaign_id, func.count())
        .where(
            Message.status == "failed",
            Message.campaign_id.is_not(None),
            true() if where is None else where,
        )
        .group_by(Message.campaign_id)
    )
    return {int(cid): int(n) for cid, n in rows if cid is not None}


def marketing_contacts(
    session: Session, *, channel: str, origin_kinds: Sequence[str] = ("campaign", "journey")
) -> list[tuple[str, datetime]]:
    """Marketing messages of a channel that went out (sent or delivered): (customer, sent at),
    for evaluations that compare channels."""
    rows = session.execute(
        select(Message.customer_id, Message.sent_at).where(
            Message.channel == channel,
            Message.purpose == "marketing",
            Message.origin_kind.in_(list(origin_kinds)),
            Message.status.in_(("sent", "delivered")),
            Message.sent_at.is_not(None),
        )
    )
    return [(str(c), t) for c, t in rows if t is not None]


def reached_customers(session: Session, *, campaign_id: int) -> set[str]:
    """Customers a campaign's messages were sent to."""
    return set(
        session.scalars(
            select(Message.customer_id).where(
                Message.campaign_id == campaign_id, Message.status.in_(("sent", "delivered"))
            )
        )
    )


def click(session: Session, *, key: str) -> str:
    """Record a click on a tracked link; returns where it goes."""
    msg = _existing(session, normalize_key(key))
    if msg is None:
        raise NotFound("unknown link", field="key")
    record_event(session, message_id=msg.id, kind="clicked")
    return str((msg.payload or {}).get("target") or "/")
