"""Customer service of the demo: conversations in every state and tickets with running SLA
clocks, built in the operational store after the orders (so the bot answers "我的订单到哪了"
from a real order), and an injected spike of negative delivery mentions that the crisis scan
turns into a crisis ticket.

All through the desk and alerts services, at fixed seeds, relative to ``now``: bot-handled
sessions, handed-over ones in the queue, one taken and answered by an agent, an e-mail whose
first response is overdue (breached), resolved ones with CSAT, and a customer writing again
after their session was closed."""

from __future__ import annotations

import itertools
import random
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from omniretail.care.alerts import service as alerts
from omniretail.care.desk import service as desk
from omniretail.omnichannel.fulfillment import service as fulfillment_service
from omniretail.omnichannel.store import service as store_service
from omniretail.platform.db import utcnow

AGENT = "admin"  # the demo's console user works the queue

BOT_QUESTIONS = ["配送费怎么收", "你们几点开门", "积分可以抵现吗", "会员有什么权益"]
HANDED_OVER = [
    ("wecom", "转人工，昨天买的酸奶已经过期了", "freshness"),
    ("miniprogram", "收到的鸡蛋碎了好几个，怎么处理", "delivery"),
    ("wecom", "人工客服！优惠券用不了，结账时报错", "general"),
    ("app", "我要投诉门店店员态度很差", "service"),
]


def _at(now: datetime, hours: float) -> datetime:
    return now - timedelta(hours=hours)


def _customers(session: Session) -> list[str]:
    """Customers with orders, newest first (their orders answer the bot)."""
    seen: list[str] = []
    for f in fulfillment_service.list_fulfilments(session, limit=200):
        if f.customer_id and f.customer_id not in seen:
            seen.append(f.customer_id)
    return seen


def build(session: Session, *, seed: int = 42, now: datetime | None = None) -> dict[str, int]:
    now = now or utcnow()
    if desk.conversation_counts(session):
        return {}  # built already (the demo re-runs)
    rng = random.Random(seed)
    customers = _customers(session) or [f"DEMO{i:04d}" for i in range(20)]
    pick = itertools.cycle(customers)
    n = 0

    def say(channel: str, who: str, text: str, hours_ago: float, ext: str | None = None) -> Any:
        nonlocal n
        n += 1
        return desk.receive(
            session,
            desk.Inbound(
                channel=channel,
                external_id=ext or f"demo-kf:{who}",
                body=text,
                at=_at(now, hours_ago),
                customer_id=who,
                channel_msg_id=f"demo:care:{n}",
                subject=text[:40],
            ),
        )

    # the bot answers: FAQ questions and the customer's own order
    for _ in range(2):
        say("miniprogram", next(pick), "我的订单到哪了", rng.uniform(0.2, 3))
    for q in BOT_QUESTIONS:
        say("wecom", next(pick), q, rng.uniform(0.5, 6))
    # handed over: queued for an agent with SLA clocks running
    handed: list[Any] = []
    for channel, text, category in HANDED_OVER:
        _, ticket = say(channel, next(pick), text, rng.uniform(0.3, 2.5))
        if ticket is not None:
            ticket.category = category
            handed.append(ticket)
    if handed:  # one taken and answered by an agent: the next-response clock runs
        desk.take(session, ticket_id=handed[0].id, agent=AGENT)
        desk.reply(
            session,
            ticket_id=handed[0].id,
            agent=AGENT,
            body="非常抱歉给您带来不便，请拍一下酸奶的生产日期，我们为您办理退款。",
            now=_at(now, 0.1),
        )
    # an e-mail four working days old without a first response: breached
    _, late = say(
        "email",
        next(pick),
        "发票抬头开错了，麻烦重开一张增值税专用发票",
        24 * 4,
        ext="demo-customer@example.com",
    )
    if late is not None:
        late.priority, late.category, late.team = "high", "invoice", "after-sales"
        late.first_response_due = desk.HOURS.add(late.created_at, 3600)
    # a phone note entered by an agent, waiting on a third party (clock paused)
    phone = desk.open_ticket(
        session,
        subject="电话：冷链配送延误，等待物流公司回复",
        now=_at(now, 5),
        customer_id=next(pick),
        category="delivery",
        team="fulfilment",
    )
    desk.pause(session, ticket_id=phone.id, reason="third_party", now=_at(now, 4))
    # resolved with CSAT; one customer writes again after the session closed
    again = None
    for score in (5, 4, 2):
        who = next(pick)
        _, ticket = say("wecom", who, "转人工，退货的钱什么时候到账", rng.uniform(26, 50))
        if ticket is None:
            continue
        desk.take(session, ticket_id=ticket.id, agent=AGENT)
        desk.reply(
            session,
            ticket_id=ticket.id,
            agent=AGENT,
            body="退款已原路退回，一般1–3个工作日到账。",
            now=ticket.created_at + timedelta(minutes=rng.randint(5, 40)),
        )
        desk.resolve(session, ticket_id=ticket.id, now=ticket.created_at + timedelta(hours=2))
        desk.rate(session, ticket_id=ticket.id, score=score)
        again = who
    if again is not None:
        say("wecom", again, "还没到账，再帮我看看", 0.5)
    stats = desk.conversation_counts(session)
    stats["crisis_tickets"] = inject_crisis(session, rng=rng, now=now)
    session.flush()
    return stats


class _Place:
    def __init__(self, code: str) -> None:
        self.code, self.city = code, None


def inject_crisis(session: Session, *, rng: random.Random, now: datetime) -> int:
    """Four weeks of ordinary negative mentions across stores, then a burst of delivery
    complaints at one store in the last three hours; the crisis scan opens its ticket."""
    stores: list[Any] = store_service.list_stores(session)[:20]
    if not stores:  # master data not imported (a bare instance): the spike still shows
        stores = [_Place(f"S{i:03d}") for i in range(1, 11)]
    topics = ["delivery", "taste", "packaging", "service", "price"]
    mentions: list[alerts.MentionIn] = []
    hours = 5 * 7 * 24
    for h in range(hours, 3, -1):
        for _ in range(rng.choices([0, 1, 2], weights=[6, 3, 1])[0]):
            s = rng.choice(stores)
            mentions.append(
                alerts.MentionIn(
                    source="review",
                    source_ref=f"demo-base-{h}-{len(mentions)}",
                    topic=rng.choice(topics),
                    channel=rng.choice(["tmall", "jd", "meituan"]),
                    at=_at(now, h - rng.random()),
                    store_code=s.code,
                    city=getattr(s, "city", None),
                )
            )
    hot = stores[0]
    for i in range(14):
        mentions.append(
            alerts.MentionIn(
                source="review",
                source_ref=f"demo-spike-{i}",
                topic="delivery",
                channel="meituan",
                at=_at(now, rng.uniform(0.05, 2.9)),
                store_code=hot.code,
                city=getattr(hot, "city", None),
                text="等了两个小时还没送到，骑手电话也打不通",
            )
        )
    alerts.record_mentions(session, mentions)
    return len(alerts.scan(session, now=now))
