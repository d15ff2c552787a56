"""The console's 客服 page: the queue with SLA clocks, crisis tickets, text masked by role."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient

from omniretail.care.alerts.models import CrisisTicket
from omniretail.care.desk import service
from omniretail.platform import db
from tests.web.conftest import ADMIN, ANALYST, admin_console, console, login, password_hashes

__all__ = ["admin_console", "console", "password_hashes"]  # fixtures used here


def _seed() -> None:
    now = datetime.now(UTC)
    with db.session_scope() as s:
        service.receive(
            s,
            service.Inbound(
                "wecom",
                "kf:C1",
                "我要转人工，订单少了一瓶酱油",
                now,
                customer_id="C1",
                channel_msg_id="p1",
            ),
        )
        t = service.open_ticket(
            s, subject="退款没到账", now=now - timedelta(days=10), priority="high"
        )
        t.team = "after-sales"
        s.add(
            CrisisTicket(
                key="store|S1|delivery|*", scope="store", unit="S1", topic="delivery", channel="*",
                opened_hour=now.replace(minute=0, second=0, microsecond=0), count=15, expected=1.2,
                window_h=3, score=9.1, playbook="delivery", owner_team="fulfilment",
                sla_due_at=now + timedelta(hours=2),
            )
        )  # fmt: skip


def test_agent_sees_the_queue_and_crises(admin_console: TestClient) -> None:
    _seed()
    page = admin_console.get("/service").text
    assert "data-coming-soon" not in page
    assert "我要转人工" in page
    assert "排队中" in page
    assert "微信客服" in page
    assert 'data-breached="1"' in page  # the ten-day-old high-priority ticket
    assert "物流/配送" in page
    assert "履约组" in page  # the owner team in the console's language
    assert "售后组" in page


def test_analyst_does_not_see_conversation_text(console: TestClient) -> None:
    _seed()
    assert login(console, *ANALYST).status_code == 303  # type: ignore[attr-defined]
    page = console.get("/service").text
    assert "我要转人工" not in page
    assert "无权查看" in page
    _ = ADMIN


def test_sla_met_with_drill_down_to_tickets(admin_console: TestClient) -> None:
    _seed()
    page = admin_console.get("/service/sla?by=team").text
    assert "售后组" in page
    drill = admin_console.get("/service/sla?by=team&key=after-sales").text
    assert 'data-testid="sla-tickets"' in drill
    assert "退款没到账" in drill
    assert "否" in drill  # the ten-day-old ticket missed its first response
    by_owner = admin_console.get("/service/sla?by=owner").text
    assert 'data-testid="sla-groups"' in by_owner


def test_crises_name_their_store_and_a_store_user_sees_only_their_own(
    console: TestClient,
) -> None:
    """A store crisis is named by the store's name; a store manager sees their stores' crises,
    not another store's nor a city's or the chain's (head office's)."""
    from omniretail.omnichannel.store.models import City, Store
    from omniretail.platform.auth import service as auth

    _seed()
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    with db.session_scope() as s:
        city = City(code="310000", name="上海", province="上海")
        s.add(city)
        s.flush()
        mine = Store(code="S1", name="南京路店", store_type="street", city_id=city.id)
        s.add_all([mine, Store(code="S2", name="淮海路店", store_type="street", city_id=city.id)])
        s.flush()
        for scope, unit in (("store", "S2"), ("city", "上海")):
            s.add(
                CrisisTicket(
                    key=f"{scope}|{unit}|taste|*", scope=scope, unit=unit, topic="taste",
                    channel="*", opened_hour=now, count=12, expected=1.0, window_h=2, score=8.0,
                    playbook="delivery", owner_team="fulfilment", sla_due_at=now,
                )
            )  # fmt: skip
        auth.create_user(
            s, username="mgr", password="mgr-pass-123", role="store_manager", store_ids=[mine.id]
        )
    assert login(console, *ADMIN).status_code == 303  # type: ignore[attr-defined]
    page = console.get("/service").text
    assert "南京路店" in page
    assert "淮海路店" in page
    assert "城市 上海" in page
    console.post("/logout", data={"csrf_token": ""})
    console.cookies.clear()
    assert login(console, "mgr", "mgr-pass-123").status_code == 303  # type: ignore[attr-defined]
    page = console.get("/service").text
    assert "南京路店" in page
    assert "淮海路店" not in page
    assert "城市 上海" not in page
