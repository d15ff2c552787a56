"""The demo's customer service (conversations in every WeCom state, a breached clock, CSAT, a
reply after closing, an injected crisis) and the agent's ticket view beside the customer's
orders; the WeCom intake endpoint."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from omniretail.care.alerts.models import CrisisTicket
from omniretail.care.desk import service, workspace
from omniretail.care.desk.models import Conversation, DeskMessage, Ticket
from omniretail.demo import care as demo_care
from omniretail.omnichannel.fulfillment import service as ful
from omniretail.omnichannel.fulfillment.schemas import Address, FulfilmentCreate, OrderLineIn
from omniretail.omnichannel.store import service as store_service
from omniretail.omnichannel.store.schemas import StoreCreate
from omniretail.platform import db
from tests.omnichannel.inventory.factories import world
from tests.web.conftest import admin_console, console, csrf_from, password_hashes

__all__ = ["admin_console", "console", "password_hashes"]

NOW = datetime(2026, 11, 12, 6, 0, tzinfo=UTC)  # a Thursday, 14:00 in Beijing


class Admin:
    sees_personal_data = True
    store_codes = None


def _orders(session: Session) -> None:
    world(session)
    store_service.upsert_stores(
        session,
        stores=[
            StoreCreate(code="S1", name="江汉路店", region="华中", province="湖北", city="武汉")
        ],
    )
    for i in range(16):
        ful.place(
            session,
            data=FulfilmentCreate(
                order_ref=f"WX2611{i:04d}",
                channel="miniprogram",
                customer_id=f"C{i}",
                mode="pickup",
                tender="wechat",
                lines=[OrderLineIn(line_ref=f"{i}-1", sku="SKU1", quantity=1, unit_price_fen=990)],
                address=Address(latitude=31.23, longitude=121.47, text="演示地址"),
            ),
            now=NOW - timedelta(hours=3),
        )
    session.flush()


def test_demo_service_desk(session: Session) -> None:
    _orders(session)
    stats = demo_care.build(session, now=NOW)
    assert stats["bot"] >= 4
    assert stats["queued"] >= 3
    assert stats["agent"] >= 1
    assert stats["closed"] == 3
    assert stats["crisis_tickets"] >= 1
    assert demo_care.build(session, now=NOW) == {}  # a re-run adds nothing
    # the bot answered "我的订单到哪了" from the customer's real order
    answers = session.scalars(select(DeskMessage.body).where(DeskMessage.direction == "bot")).all()
    assert any("WX2611" in a for a in answers)
    rows = service.queue(session, now=NOW)
    assert any(r.remaining_bh < 0 and r.channel == "email" for r in rows)  # breached
    assert any(r.ticket.status == "pending" for r in rows)  # paused on a third party
    rated = session.scalars(select(Ticket.csat).where(Ticket.csat.is_not(None))).all()
    assert sorted(rated) == [2, 4, 5]
    notes = session.scalars(select(DeskMessage.body).where(DeskMessage.direction == "note")).all()
    assert any("上一会话" in n for n in notes)  # a reply after closing opened a new session
    crisis = session.scalars(select(CrisisTicket)).all()
    assert any(c.topic == "delivery" and c.unit == "S1" for c in crisis)


def test_workspace_shows_the_customers_orders_and_hand_over(session: Session) -> None:
    _orders(session)
    conv, ticket = service.receive(
        session,
        service.Inbound("wecom", "kf:C1", "转人工，我的自提单还没好", NOW, customer_id="C1"),
    )
    assert ticket is not None
    assert conv.state == "queued"
    ws = workspace.load(session, ticket_id=ticket.id, viewer=Admin())
    assert [o.order_ref for o in ws.orders] == ["WX26110001"]  # C1's own order only
    assert [m.direction for m in ws.messages] == ["in", "bot"]
    service.hand_over(
        session, ticket_id=ticket.id, to_team="after-sales", to_agent=None, note="售后处理",
        actor="a1", now=NOW,
    )  # fmt: skip
    assert ticket.team == "after-sales"
    assert conv.state == "queued"
    service.take(session, ticket_id=ticket.id, agent="a2")
    assert conv.state == "agent"
    service.resolve(session, ticket_id=ticket.id, now=NOW + timedelta(hours=1))
    assert session.get(Conversation, conv.id).state == "closed"  # type: ignore[union-attr]


def test_console_ticket_view_and_actions(admin_console: TestClient) -> None:
    now = datetime.now(UTC)
    with db.session_scope() as s:
        _, t = service.receive(
            s, service.Inbound("wecom", "kf:C9", "转人工，退款没到账", now, customer_id="C9")
        )
        assert t is not None
        tid = t.id
    page = admin_console.get(f"/service/tickets/{tid}").text
    from omniretail.care.desk.pages import local_time

    assert local_time(now) in page  # the message's time on the chain's (Beijing) clock
    assert local_time(now.replace(tzinfo=None)) == local_time(now)  # SQLite's naive UTC
    assert "退款没到账" in page
    assert "排队中" in page
    token = csrf_from(page)
    base = f"/service/tickets/{tid}"
    assert (
        admin_console.post(
            base + "/take", data={"csrf_token": token}, follow_redirects=False
        ).status_code
        == 303
    )
    empty = admin_console.post(base + "/reply", data={"csrf_token": token, "body": " "})
    assert "回复内容不能为空" in empty.text  # named in Chinese, nothing sent
    r = admin_console.post(
        base + "/reply", data={"csrf_token": token, "body": "已为您查询"}, follow_redirects=False
    )
    assert r.status_code == 303
    page = admin_console.get(base).text
    assert "已为您查询" in page
    assert "人工接待" in page
    assert (
        admin_console.post(
            base + "/close", data={"csrf_token": token}, follow_redirects=False
        ).status_code
        == 303
    )
    late = admin_console.post(base + "/reply", data={"csrf_token": token, "body": "还在吗"})
    assert "会话已关闭" in late.text  # a reply to a closed session is refused
    page = admin_console.get("/service").text
    assert f'/service/tickets/{tid}"' not in page  # solved: out of the queue
    asked = admin_console.post(
        "/service/ask", data={"csrf_token": token, "question": "今天天气怎么样"}
    ).text
    assert 'data-abstained="1"' in asked


def test_wecom_intake_endpoint(admin_console: TestClient) -> None:
    # a signed-in console session sends its CSRF token with API writes (as the pages' scripts)
    admin_console.headers["X-CSRF-Token"] = admin_console.get("/api/v1/auth/me").json()[
        "csrf_token"
    ]
    body = {
        "open_kfid": "wkAAA",
        "external_userid": "wmBBB",
        "msgid": "m1",
        "send_time": int(datetime.now(UTC).timestamp()),
        "msgtype": "text",
        "text": {"content": "配送费怎么收"},
    }
    r = admin_console.post("/api/v1/care/wecom/messages", json=body)
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["state"] == "bot"
    assert out["service_state"] == 1
    assert out["bot_reply"]
    again = admin_console.post("/api/v1/care/wecom/messages", json=body).json()
    assert again["conversation_id"] == out["conversation_id"]  # a replay changes nothing
    bad = admin_console.post(
        "/api/v1/care/wecom/messages", json={**body, "msgid": "m2", "text": None}
    )
    assert bad.status_code == 422
    ask = admin_console.post("/api/v1/care/assistant/ask", json={"question": "今天股市怎么样"})
    assert ask.status_code == 200
    assert ask.json()["abstained"] is True
