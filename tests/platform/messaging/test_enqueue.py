"""The typed enqueue for every sender, on SQLite and PostgreSQL, sent through a real SMTP
server on loopback: transactional messages go at any hour and past the caps, marketing ones
need consent and respect caps and quiet hours; an opt-out binds transactional messages only
where the rules say so; replays return the same message."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from omniretail.cdp.profile.models import Customer, CustomerIdentity
from omniretail.platform.db import utcnow
from omniretail.platform.errors import InvalidInput
from omniretail.platform.messaging import config as mconfig
from omniretail.platform.messaging import service as messaging
from omniretail.platform.messaging.models import Message
from omniretail.platform.messaging.schemas import MessageRequest, Origin
from omniretail.platform.messaging.templates import register_template
from tests.receivers import smtp_server

NIGHT = datetime(2026, 7, 1, 15, 30, tzinfo=UTC)  # 23:30 in Shanghai: quiet hours
DAY = datetime(2026, 7, 1, 3, 0, tzinfo=UTC)  # 11:00 in Shanghai

register_template(
    "test_pickup_ready", title="取货通知", body="您的订单 {order} 已可在 {store} 自提。"
)


@pytest.fixture
def smtp(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[object]]:
    with smtp_server() as (inbox, port):
        monkeypatch.setenv("OMNIRETAIL_MESSAGING_SMTP_HOST", "127.0.0.1")
        monkeypatch.setenv("OMNIRETAIL_MESSAGING_SMTP_PORT", str(port))
        mconfig.get_messaging_settings.cache_clear()
        yield inbox.mails
    mconfig.get_messaging_settings.cache_clear()


@pytest.fixture
def customers(session: Session) -> Session:
    session.add_all(
        [
            # opted in to e-mail marketing
            Customer(customer_id="C1", email="a@example.cn", phone="+8613800000001",
                     consent_email=True, consent_sms=None, sources=["pos"]),
            # never opted in (unknown), and opted out of SMS marketing ("reply TD")
            Customer(customer_id="C2", email="b@example.cn", phone="+8613800000002",
                     consent_email=None, consent_sms=False, sources=["pos"]),
            # refused WeChat messages altogether, has an SMS number
            Customer(customer_id="C3", phone="+8613800000003", consent_wechat=False,
                     sources=["miniprogram"]),
        ]
    )  # fmt: skip
    session.flush()
    c3 = session.scalar(select(Customer.id).where(Customer.customer_id == "C3"))
    session.add(CustomerIdentity(customer_pk=c3, kind="openid", value="o-3", source="miniprogram"))
    session.commit()
    return session


def _req(
    cid: str, key: str, purpose: str, channel: str | None = "email", **kw: object
) -> MessageRequest:
    kind = "fulfilment" if purpose == "transactional" else "journey"
    return MessageRequest(
        customer_id=cid,
        channel=channel,
        template=kw.pop("template", "test_pickup_ready"),  # type: ignore[arg-type]
        params=kw.pop("params", {"order": "42", "store": "南京西路店"}),  # type: ignore[arg-type]
        origin=Origin(kind=kind, ref="order:42"),  # type: ignore[arg-type]
        purpose=purpose,  # type: ignore[arg-type]
        idempotency_key=key,
        **kw,  # type: ignore[arg-type]
    )


def test_transactional_goes_out_in_quiet_hours_and_past_the_cap(
    customers: Session, smtp: list[object], store_engine: Engine
) -> None:
    s = customers
    # three marketing messages this week fill C1's cap
    for i in range(3):  # on three days before, at 11:00, 12:00 and 13:00
        at = DAY - timedelta(days=3 - i) + timedelta(hours=i)
        m = messaging.enqueue(s, _req("C1", f"promo:{i}", "marketing"), now=at)
        assert m.status == "queued"
    capped = messaging.enqueue(s, _req("C1", "promo:4", "marketing"), now=NIGHT)
    assert capped.status == "suppressed"
    assert "frequency cap" in (capped.error or "")
    notice = messaging.enqueue(s, _req("C1", "fulfilment:42:ready", "transactional"), now=NIGHT)
    assert notice.status == "queued"
    assert notice.due_at.replace(tzinfo=UTC) == NIGHT  # not moved out of quiet hours
    assert (notice.origin_kind, notice.origin_ref, notice.purpose) == (
        "fulfilment",
        "order:42",
        "transactional",
    )
    s.commit()
    sent = messaging.dispatch(sessionmaker(bind=store_engine), now=NIGHT)
    assert sent.sent == 4  # the three earlier promotions and the notice; not the capped one
    sent_keys = set(s.scalars(select(Message.key).where(Message.status == "sent")))
    assert sent_keys == {"promo:0", "promo:1", "promo:2", "fulfilment:42:ready"}
    texts = [m.content.decode() for m in smtp]  # type: ignore[attr-defined]
    assert sum("<fulfilment.42.ready@omniretail>" in t for t in texts) == 1  # key as Message-ID
    assert all(m.rcpt_tos == ["a@example.cn"] for m in smtp)  # type: ignore[attr-defined]


def test_marketing_waits_out_quiet_hours(customers: Session) -> None:
    m = messaging.enqueue(customers, _req("C1", "night-promo", "marketing"), now=NIGHT)
    assert m.status == "queued"
    assert m.due_at.replace(tzinfo=UTC) == datetime(2026, 7, 2, 1, 0, tzinfo=UTC)  # 09:00 local


def test_consent_marketing_needs_opt_in_transactional_does_not(customers: Session) -> None:
    s = customers
    no_opt_in = messaging.enqueue(s, _req("C2", "m:c2", "marketing"), now=DAY)
    assert no_opt_in.status == "suppressed"
    assert no_opt_in.error == "email:no-consent"
    # an SMS marketing opt-out ("reply TD") does not stop a pickup notice by SMS
    notice = messaging.enqueue(s, _req("C2", "t:c2", "transactional", channel="sms"), now=DAY)
    assert (notice.status, notice.recipient) == ("queued", "+8613800000002")
    # a WeChat refusal is total: the transactional message falls back to SMS
    c3 = messaging.enqueue(s, _req("C3", "t:c3", "transactional", channel=None), now=DAY)
    assert (c3.status, c3.channel, c3.recipient) == ("queued", "sms", "+8613800000003")
    named = messaging.enqueue(s, _req("C3", "t:c3:wx", "transactional", channel="wechat"), now=DAY)
    assert named.status == "suppressed"
    assert named.error == "wechat:opted-out"
    unknown = messaging.enqueue(s, _req("C404", "t:c404", "transactional"), now=DAY)
    assert unknown.status == "suppressed"
    assert "unknown customer" in (unknown.error or "")


def test_replays_return_the_same_message(customers: Session) -> None:
    s = customers
    first = messaging.enqueue(s, _req("C1", "Fulfilment:42:Ready", "transactional"), now=DAY)
    again = messaging.enqueue(s, _req("C1", "  fulfilment:42:ready ", "transactional"), now=DAY)
    wide = messaging.enqueue(
        s, _req("C1", "ＦＵＬＦＩＬＭＥＮＴ:42:READY", "transactional"), now=DAY
    )
    assert first.id == again.id == wide.id
    assert first.key == "fulfilment:42:ready"
    assert (
        s.scalar(select(Message.id).where(Message.customer_id == "C1").limit(2).offset(1)) is None
    )


def test_bad_requests_name_the_field(customers: Session) -> None:
    s = customers
    with pytest.raises(InvalidInput) as err:
        messaging.enqueue(s, _req("C1", "x1", "transactional", params={"order": "42"}), now=DAY)
    assert err.value.field == "params.store"
    with pytest.raises(InvalidInput) as err:
        messaging.enqueue(s, _req("C1", "x2", "transactional", template="nope"), now=DAY)
    assert err.value.field == "template"
    with pytest.raises(InvalidInput) as err:
        messaging.enqueue(s, _req("C1", "x3", "transactional", channel="pigeon"), now=DAY)
    assert err.value.field == "channel"
    with pytest.raises(ValueError, match="template or a body"):
        MessageRequest(
            customer_id="C1", origin=Origin(kind="system"), purpose="transactional",
            idempotency_key="k",
        )  # fmt: skip
    assert s.scalar(select(Message.id)) is None  # nothing half-written


def test_api_queues_a_typed_message_and_replays_it(client) -> None:  # type: ignore[no-untyped-def]
    from omniretail.platform import db

    with db.session_scope() as s:
        s.add(Customer(customer_id="C9", phone="+8613800000009", sources=["pos"]))
    body = {
        "customer_id": "C9",
        "channel": None,
        "template": "test_pickup_ready",
        "params": {"order": "7", "store": "静安店"},
        "origin": {"kind": "fulfilment", "ref": "order:7"},
        "purpose": "transactional",
        "idempotency_key": "fulfilment:7:ready",
    }
    first = client.post("/api/v1/messages", json=body)
    assert first.status_code == 200, first.text
    got = first.json()
    assert (got["channel"], got["recipient"], got["status"]) == ("sms", "+8613800000009", "queued")
    again = client.post("/api/v1/messages", json={**body, "idempotency_key": "FULFILMENT:7:READY"})
    assert again.json()["id"] == got["id"]
    assert client.get("/api/v1/messages/by-key/Fulfilment:7:Ready").json()["id"] == got["id"]
    bad = client.post("/api/v1/messages", json={**body, "origin": {"kind": "pigeon"}})
    assert bad.status_code == 422
    missing = client.post("/api/v1/messages", json={**body, "idempotency_key": "k2", "params": {}})
    assert missing.status_code == 422
    assert missing.json()["errors"][0]["field"] == "params.order"


def test_a_planned_batch_is_queued_once_with_its_contents(customers: Session) -> None:
    from omniretail.platform.messaging.schemas import (
        MessageContent,
        PlannedBatch,
        PlannedRecipient,
    )

    s = customers
    batch = PlannedBatch(
        origin=Origin(kind="campaign", ref="SPRING:1"),
        purpose="marketing",
        due_at=DAY,
        priority=70,
        campaign_id=None,
        contents={
            "": MessageContent(subject="春季", body="满50减10", extra={"variant": None}),
            "B": MessageContent(subject="春季B", body="满99减20", link="https://x.cn/b"),
        },
    )
    people = [
        PlannedRecipient("C1", "email", "a@example.cn", "SPRING:1:C1"),
        PlannedRecipient("C2", "sms", "+8613800000002", "SPRING:1:C2", content="B"),
    ]
    assert messaging.enqueue_planned(s, batch, people, now=DAY) == 2
    assert messaging.enqueue_planned(s, batch, people, now=DAY) == 0  # a retried launch
    got = {m.customer_id: m for m in s.scalars(select(Message))}
    assert got["C2"].key == "spring:1:c2"
    assert got["C2"].payload["body"] == "满99减20"
    assert got["C2"].payload["target"] == "https://x.cn/b"
    assert got["C1"].payload["link"].endswith("/r/spring:1:c1")  # marketing: tracked
    assert (got["C1"].origin_ref, got["C1"].priority) == ("SPRING:1", 70)
    with pytest.raises(InvalidInput) as err:
        messaging.enqueue_planned(s, batch, [PlannedRecipient("C3", "sms", "1", "k", "Z")])
    assert err.value.field == "contents"


def test_a_demo_instance_stamps_sends_in_its_worlds_time(
    customers: Session, smtp: list[object], store_engine: Engine, home: Path
) -> None:
    """sent_at follows the business clock: in a demo world that ended on 2026-10-31 a message
    is sent on the world's next day (not on the wall clock's date), never before it was due."""
    import json

    from omniretail.platform.clock import business_now
    from omniretail.platform.timezone import CHAIN_TZ

    (home / "demo-world").mkdir(parents=True, exist_ok=True)
    (home / "demo-world" / "world.json").write_text(json.dumps({"end": "2026-10-31"}), "utf-8")
    launched = business_now()
    assert launched.astimezone(CHAIN_TZ).date() == date(2026, 11, 1)
    s = customers
    now_msg = messaging.enqueue(s, _req("C1", "world:now", "transactional"), now=launched)
    later = launched + timedelta(hours=2)
    due_later = messaging.enqueue(
        s, _req("C1", "world:later", "transactional", due_at=later), now=launched
    )
    s.commit()
    # the wall clock is past both (the world is in the past), so both go in one dispatch
    assert messaging.dispatch(sessionmaker(bind=store_engine), now=utcnow()).sent == 2
    s.expire_all()
    sent = {m.key: m.sent_at for m in s.scalars(select(Message))}
    at_now, at_later = (
        sent[k].replace(tzinfo=sent[k].tzinfo or UTC)  # type: ignore[union-attr]
        for k in (now_msg.key, due_later.key)
    )
    assert at_now.astimezone(CHAIN_TZ).date() == date(2026, 11, 1)
    assert launched <= at_now < launched + timedelta(minutes=5)
    assert at_later == later  # sent when due in the world, not before
    assert at_now < utcnow()

    # a click on the tracked link, and a delivery receipt posted without a time, come in the
    # world's time too (the wall clock's date is weeks later), never before the send
    from omniretail.platform.messaging.models import MessageEvent

    messaging.click(s, key=now_msg.key)
    msg_later = s.scalar(select(Message).where(Message.key == due_later.key))
    assert msg_later is not None
    messaging.record_event(s, message_id=msg_later.id, kind="delivered")
    s.commit()
    at = {
        (e.message_id, e.kind): e.at.replace(tzinfo=e.at.tzinfo or UTC)
        for e in s.scalars(select(MessageEvent))
    }
    clicked = at[(now_msg.id, "clicked")]
    assert clicked.astimezone(CHAIN_TZ).date() == date(2026, 11, 1)
    assert at_now <= clicked
    assert at[(msg_later.id, "delivered")] >= at_later


def test_a_message_no_transport_can_encode_fails_alone(
    customers: Session, smtp: list[object], store_engine: Engine
) -> None:
    """A stored body with an unpaired surrogate (the API refuses such text now; older rows or
    other writers may still hold it) fails that message; the dispatch goes on and sends the
    rest instead of answering 500."""
    s = customers
    bad = _req("C1", "bad:1", "transactional", template=None, params={}, body="x\ud800y")
    messaging.enqueue(s, bad, now=DAY)
    messaging.enqueue(s, _req("C1", "good:1", "transactional"), now=DAY)
    s.commit()
    out = messaging.dispatch(sessionmaker(bind=store_engine), now=DAY + timedelta(minutes=1))
    assert (out.sent, out.failed) == (1, 1)
    failed = s.scalar(select(Message).where(Message.key == "bad:1"))
    assert failed is not None
    s.refresh(failed)
    assert failed.status == "failed"
    assert "surrogate" in (failed.error or "")
