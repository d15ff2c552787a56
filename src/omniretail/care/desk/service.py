"""The service desk: one inbox for every channel, tickets with SLA clocks in business hours.

Conversation states follow WeCom 微信客服: ``unhandled`` (new message) → ``bot`` (the assistant
answered) → ``queued`` (handed over, waiting for an agent) → ``agent`` → ``closed``. A reply to
a closed session is refused; on WeCom a reply more than 48 hours after the customer's last
message is refused (the platform would reject it)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from omniretail.care.assistant import service as assistant
from omniretail.care.desk.calendar import BusinessHours, as_utc
from omniretail.care.desk.errors import (
    BadTicketInput,
    ConversationClosed,
    ReplyWindowExpired,
    TicketNotFound,
)
from omniretail.care.desk.models import Conversation, DeskMessage, Ticket
from omniretail.care.desk.sla import PRIORITIES, targets
from omniretail.platform.keys import idempotency_key

CHANNELS = ("wecom", "miniprogram", "app", "email", "phone", "review")
WECOM_WINDOW = timedelta(hours=48)
# WeCom 微信客服 service_state codes (kf/service_state/get): 0 未处理, 1 由智能助手接待,
# 2 待接入池排队中, 3 由人工接待, 4 已结束/未开始
WECOM_STATE = {"unhandled": 0, "bot": 1, "queued": 2, "agent": 3, "closed": 4}
REOPENED_NOTE = "客户在上一会话结束后再次来信，已开启新会话（上一会话 #{previous}）。"
HOURS = BusinessHours()


@dataclass
class Inbound:
    channel: str
    external_id: str
    body: str
    at: datetime
    customer_id: str | None = None
    channel_msg_id: str | None = None
    subject: str | None = None


def _open_conversation(session: Session, msg: Inbound) -> Conversation:
    conv = session.scalar(
        select(Conversation)
        .where(
            Conversation.channel == msg.channel,
            Conversation.external_id == msg.external_id,
            Conversation.state != "closed",
        )
        .order_by(Conversation.id.desc())
    )
    if conv is None:
        previous = session.scalar(
            select(Conversation.id)
            .where(
                Conversation.channel == msg.channel,
                Conversation.external_id == msg.external_id,
                Conversation.state == "closed",
            )
            .order_by(Conversation.id.desc())
        )
        conv = Conversation(
            channel=msg.channel,
            external_id=msg.external_id,
            customer_id=msg.customer_id,
            state="unhandled",
            opened_at=msg.at,
        )
        session.add(conv)
        session.flush()
        if previous is not None:
            # a reply to a closed session is never appended to it: it opens a new session,
            # and the agent sees where it came from
            session.add(
                DeskMessage(
                    conversation_id=conv.id,
                    direction="note",
                    author="system",
                    body=REOPENED_NOTE.format(previous=previous),
                    at=msg.at,
                )
            )
    return conv


def receive(session: Session, msg: Inbound) -> tuple[Conversation, Ticket | None]:
    """A customer's message: logged, answered by the assistant when it can, otherwise queued
    for an agent with a ticket (one open ticket per conversation). Replays are ignored."""
    if msg.channel not in CHANNELS:
        raise BadTicketInput(f"未知渠道 {msg.channel!r}", field="channel")
    if msg.at.tzinfo is None:
        raise BadTicketInput("消息时间必须带时区", field="at")
    msg.at = as_utc(msg.at)
    if msg.channel_msg_id and session.scalar(
        select(DeskMessage.id).where(DeskMessage.channel_msg_id == msg.channel_msg_id)
    ):
        conv = session.scalar(
            select(Conversation)
            .join(DeskMessage)
            .where(DeskMessage.channel_msg_id == msg.channel_msg_id)
        )
        assert conv is not None
        return conv, _open_ticket(session, conv.id)
    conv = _open_conversation(session, msg)
    conv.customer_id = conv.customer_id or msg.customer_id
    conv.last_customer_at = msg.at
    if conv.channel == "wecom":
        conv.window_until = msg.at + WECOM_WINDOW
    session.add(
        DeskMessage(
            conversation_id=conv.id,
            direction="in",
            body=msg.body[:5000],
            channel_msg_id=msg.channel_msg_id,
            at=msg.at,
        )
    )
    ticket = _open_ticket(session, conv.id)
    if conv.state in ("unhandled", "bot") and msg.channel in ("wecom", "miniprogram", "app"):
        reply = assistant.ask(session, question=msg.body, customer_id=conv.customer_id)
        session.add(
            DeskMessage(
                conversation_id=conv.id,
                direction="bot",
                author="assistant",
                body=reply.answer,
                at=msg.at,
            )
        )
        conv.state = "queued" if reply.abstained else "bot"
    elif conv.state in ("unhandled", "bot"):
        conv.state = "queued"  # email, phone notes and review replies go to a person
    if conv.state == "queued" and ticket is None:
        ticket = open_ticket(
            session,
            subject=msg.subject or msg.body[:60] or "(无内容)",
            customer_id=conv.customer_id,
            conversation_id=conv.id,
            now=msg.at,
        )
    elif ticket is not None and ticket.status == "pending" and ticket.pause_reason == "customer":
        resume(session, ticket_id=ticket.id, now=msg.at)  # the customer answered
    session.flush()
    return conv, ticket


def _open_ticket(session: Session, conversation_id: int) -> Ticket | None:
    return session.scalar(
        select(Ticket).where(
            Ticket.conversation_id == conversation_id, Ticket.status.in_(("open", "pending"))
        )
    )


def open_ticket(
    session: Session,
    *,
    subject: str,
    now: datetime,
    customer_id: str | None = None,
    conversation_id: int | None = None,
    priority: str = "normal",
    tier: str | None = None,
    category: str = "general",
    team: str = "service",
    store_code: str | None = None,
    order_ref: str | None = None,
    return_ref: str | None = None,
) -> Ticket:
    now = as_utc(now)
    if priority not in PRIORITIES:
        raise BadTicketInput(f"未知优先级 {priority!r}", field="priority")
    if not subject.strip():
        raise BadTicketInput("工单标题不能为空", field="subject")
    t = targets(priority, tier)
    ticket = Ticket(
        conversation_id=conversation_id,
        customer_id=customer_id,
        tier=tier or "regular",
        subject=subject[:200],
        category=category,
        priority=priority,
        team=team,
        store_code=store_code,
        order_ref=order_ref,
        return_ref=return_ref,
        created_at=now,
        first_response_due=HOURS.add(now, t.first_response_h * 3600),
        resolution_due=HOURS.add(now, t.resolution_h * 3600),
    )
    session.add(ticket)
    session.flush()
    return ticket


def get_ticket(session: Session, *, ticket_id: int) -> Ticket:
    ticket = session.get(Ticket, ticket_id)
    if ticket is None:
        raise TicketNotFound(f"工单 {ticket_id} 不存在", field="ticket_id")
    return ticket


def take(session: Session, *, ticket_id: int, agent: str, team: str | None = None) -> Ticket:
    ticket = get_ticket(session, ticket_id=ticket_id)
    ticket.owner = agent
    if team:
        ticket.team = team
    if ticket.conversation_id:
        conv = session.get(Conversation, ticket.conversation_id)
        if conv is not None and conv.state in ("queued", "bot", "unhandled"):
            conv.state, conv.agent = "agent", agent
    session.flush()
    return ticket


def reply(session: Session, *, ticket_id: int, agent: str, body: str, now: datetime) -> DeskMessage:
    """An agent's reply: sent through platform messaging (purpose transactional, origin ticket),
    stamps the first response and sets the next-response clock."""
    now = as_utc(now)
    if not body.strip():
        raise BadTicketInput("回复内容不能为空", field="body")
    ticket = get_ticket(session, ticket_id=ticket_id)
    conv = session.get(Conversation, ticket.conversation_id) if ticket.conversation_id else None
    if conv is not None:
        if conv.state == "closed":
            raise ConversationClosed(
                "会话已关闭，不能再回复；请新建工单联系客户", field="ticket_id"
            )
        if conv.channel == "wecom" and conv.window_until and now > as_utc(conv.window_until):
            raise ReplyWindowExpired(
                "已超过微信客服 48 小时回复窗口，请改用短信或电话联系", field="ticket_id"
            )
    msg = DeskMessage(
        conversation_id=conv.id if conv else None, direction="out", author=agent, body=body, at=now
    )
    if conv is not None:
        session.add(msg)
    if ticket.customer_id:
        from omniretail.platform.messaging import service as messaging
        from omniretail.platform.messaging.schemas import MessageRequest, Origin

        seq = ticket.replies_sent = (ticket.replies_sent or 0) + 1
        messaging.enqueue(
            session,
            MessageRequest(
                customer_id=ticket.customer_id,
                channel=None,
                subject=f"回复：{ticket.subject}"[:120],
                body=body,
                origin=Origin(kind="ticket", ref=f"ticket:{ticket.id}"),
                purpose="transactional",
                idempotency_key=idempotency_key("ticket", ticket.id, "reply", seq),
            ),
            now=now,
        )
    ticket.first_responded_at = ticket.first_responded_at or now
    t = targets(ticket.priority, ticket.tier)
    ticket.next_response_due = HOURS.add(now, t.next_response_h * 3600)
    if conv is not None and conv.state != "agent":
        conv.state, conv.agent = "agent", agent
    session.flush()
    return msg


def hand_over(
    session: Session,
    *,
    ticket_id: int,
    to_team: str | None,
    to_agent: str | None,
    note: str,
    actor: str,
    now: datetime,
) -> Ticket:
    """Pass a ticket to another agent or team: the session goes back to the queue (or to the
    named agent), and the reason is kept as an internal note the customer does not see."""
    now = as_utc(now)
    if not (to_team or to_agent):
        raise BadTicketInput("请选择转交的团队或客服", field="to_team")
    ticket = get_ticket(session, ticket_id=ticket_id)
    if ticket.status in ("solved", "closed"):
        raise ConversationClosed("工单已解决，不能转交", field="ticket_id")
    if to_team:
        ticket.team = to_team[:32]
    ticket.owner = to_agent[:64] if to_agent else None
    conv = session.get(Conversation, ticket.conversation_id) if ticket.conversation_id else None
    if conv is not None:
        conv.state, conv.agent = ("agent", to_agent) if to_agent else ("queued", None)
        target = to_agent or to_team
        session.add(
            DeskMessage(
                conversation_id=conv.id,
                direction="note",
                author=actor,
                body=f"转交给 {target}" + (f"：{note.strip()}" if note.strip() else ""),
                at=now,
            )
        )
    session.flush()
    return ticket


def get_conversation(session: Session, *, conversation_id: int) -> Conversation | None:
    return session.get(Conversation, conversation_id)


def messages(session: Session, *, conversation_id: int, limit: int = 200) -> list[DeskMessage]:
    """A session's messages, oldest first (the last ``limit``)."""
    rows = session.scalars(
        select(DeskMessage)
        .where(DeskMessage.conversation_id == conversation_id)
        .order_by(DeskMessage.at.desc(), DeskMessage.id.desc())
        .limit(limit)
    ).all()
    return list(reversed(rows))


def pause(session: Session, *, ticket_id: int, reason: str, now: datetime) -> Ticket:
    """Waiting on the customer or a third party: the SLA clocks stop until resumed."""
    now = as_utc(now)
    if reason not in ("customer", "third_party"):
        raise BadTicketInput("暂停原因只能是等待客户或等待第三方", field="reason")
    ticket = get_ticket(session, ticket_id=ticket_id)
    if ticket.status == "pending":
        return ticket
    ticket.status, ticket.pause_reason, ticket.paused_at = "pending", reason, now
    session.flush()
    return ticket


def resume(session: Session, *, ticket_id: int, now: datetime) -> Ticket:
    now = as_utc(now)
    ticket = get_ticket(session, ticket_id=ticket_id)
    if ticket.status != "pending" or ticket.paused_at is None:
        return ticket
    paused = HOURS.seconds_between(ticket.paused_at, now)
    ticket.paused_business_s += paused
    # move the open deadlines by the paused business time
    ticket.resolution_due = (
        HOURS.add(ticket.resolution_due, paused) if paused else ticket.resolution_due
    )
    if ticket.first_responded_at is None and paused:
        ticket.first_response_due = HOURS.add(ticket.first_response_due, paused)
    if ticket.next_response_due is not None and paused:
        ticket.next_response_due = HOURS.add(ticket.next_response_due, paused)
    ticket.status, ticket.pause_reason, ticket.paused_at = "open", None, None
    session.flush()
    return ticket


def resolve(
    session: Session, *, ticket_id: int, now: datetime, close_conversation: bool = True
) -> Ticket:
    now = as_utc(now)
    ticket = get_ticket(session, ticket_id=ticket_id)
    if ticket.status == "pending":
        resume(session, ticket_id=ticket_id, now=now)
    ticket.status, ticket.resolved_at = "solved", now
    if close_conversation and ticket.conversation_id:
        conv = session.get(Conversation, ticket.conversation_id)
        if conv is not None:
            conv.state, conv.closed_at = "closed", now
    session.flush()
    return ticket


def rate(session: Session, *, ticket_id: int, score: int, comment: str | None = None) -> Ticket:
    """CSAT after closing: 1–5, once."""
    ticket = get_ticket(session, ticket_id=ticket_id)
    if ticket.status not in ("solved", "closed"):
        raise BadTicketInput("工单解决后才能评价", field="ticket_id")
    if not 1 <= score <= 5:
        raise BadTicketInput("满意度评分为 1–5", field="score")
    if ticket.csat is None:
        ticket.csat, ticket.csat_comment = score, comment
    session.flush()
    return ticket


def watch_sla(session: Session, *, now: datetime, warn_share: float = 0.8) -> dict[str, int]:
    """Breach warnings (80% of the first-response or resolution time used) and escalation on
    breach (priority up one step, team lead)."""
    now = as_utc(now)
    warned = escalated = 0
    rows = session.scalars(select(Ticket).where(Ticket.status == "open")).all()
    for t in rows:
        due = t.first_response_due if t.first_responded_at is None else t.resolution_due
        total = HOURS.seconds_between(t.created_at, due)
        used = HOURS.seconds_between(t.created_at, now) - t.paused_business_s
        if t.escalated_at is None and now >= as_utc(due):
            t.escalated_at = now
            i = PRIORITIES.index(t.priority)
            t.priority = PRIORITIES[max(i - 1, 0)]
            t.team = f"{t.team}-lead" if not t.team.endswith("-lead") else t.team
            escalated += 1
        elif t.warned_at is None and total > 0 and used >= warn_share * total:
            t.warned_at = now
            warned += 1
    session.flush()
    return {"warned": warned, "escalated": escalated}


@dataclass
class QueueRow:
    ticket: Ticket
    conversation_state: str | None
    channel: str | None
    due: datetime
    remaining_bh: float  # business hours to the next due time (negative: breached)


def queue(session: Session, *, now: datetime, limit: int = 200) -> list[QueueRow]:
    """Open and pending tickets, the most urgent clock first."""
    now = as_utc(now)
    rows = session.execute(
        select(Ticket, Conversation.state, Conversation.channel)
        .outerjoin(Conversation, Conversation.id == Ticket.conversation_id)
        .where(Ticket.status.in_(("open", "pending")))
        .limit(limit)
    ).all()
    out = []
    for ticket, state, channel in rows:
        due = (
            ticket.first_response_due
            if ticket.first_responded_at is None
            else ticket.resolution_due
        )
        due = due if due.tzinfo else due.replace(tzinfo=now.tzinfo)
        left = HOURS.seconds_between(now, due) if due > now else -HOURS.seconds_between(due, now)
        out.append(QueueRow(ticket, state, channel, due, round(left / 3600, 2)))
    out.sort(key=lambda r: r.remaining_bh)
    return out


def conversation_counts(session: Session) -> dict[str, int]:
    from sqlalchemy import func

    rows = session.execute(
        select(Conversation.state, func.count()).group_by(Conversation.state)
    ).all()
    return {str(state): int(n) for state, n in rows}
