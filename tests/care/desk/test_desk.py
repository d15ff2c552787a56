"""The service desk: WeCom session states with the bot, hand-over, SLA clocks in business hours
with holidays and 调休, pausing, warnings and escalation, replies through messaging, e-mail
through a real SMTP server on loopback, reports."""

from __future__ import annotations

import smtplib
import socket
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from omniretail.care.desk import report, service
from omniretail.care.desk.calendar import CHAIN_TZ, BusinessHours, is_workday
from omniretail.care.desk.email_intake import DeskHandler
from omniretail.care.desk.errors import ConversationClosed, ReplyWindowExpired
from omniretail.care.desk.models import Conversation, Ticket
from omniretail.platform.messaging.models import Message

MON_10 = datetime(2026, 11, 9, 10, 0, tzinfo=CHAIN_TZ)  # a Monday, 10:00 Beijing time


def test_chinese_calendar_holidays_and_make_up_days() -> None:
    assert not is_workday(date(2026, 10, 1))  # National Day
    assert is_workday(date(2026, 2, 14))  # a Saturday worked for the Spring Festival (调休)
    hours = BusinessHours()  # 09:00–21:00 on working days
    fri_20 = datetime(2026, 2, 13, 20, 0, tzinfo=CHAIN_TZ)
    # 1 h left on Friday, the next hour on the worked Saturday (调休)
    assert hours.add(fri_20, 2 * 3600) == datetime(2026, 2, 14, 10, 0, tzinfo=CHAIN_TZ)
    # an ordinary Friday evening carries over to Monday
    assert hours.add(MON_10 + timedelta(days=4, hours=10), 2 * 3600) == MON_10 + timedelta(days=7)
    assert (
        hours.seconds_between(
            datetime(2026, 10, 1, 9, tzinfo=CHAIN_TZ), datetime(2026, 10, 1, 21, tzinfo=CHAIN_TZ)
        )
        == 0
    )


def wecom(body: str, at: datetime, msg_id: str, customer: str = "C1") -> service.Inbound:
    return service.Inbound(
        "wecom", f"kf1:{customer}", body, at, customer_id=customer, channel_msg_id=msg_id
    )


def test_bot_then_handover_then_agent(session: Session) -> None:
    conv, ticket = service.receive(session, wecom("运费多少钱", MON_10, "m1"))
    assert conv.state == "bot"
    assert ticket is None
    again, _ = service.receive(session, wecom("运费多少钱", MON_10, "m1"))  # replay
    assert again.id == conv.id
    conv, ticket = service.receive(
        session, wecom("我要转人工", MON_10 + timedelta(minutes=1), "m2")
    )
    assert conv.state == "queued"
    assert ticket is not None
    assert ticket.first_response_due == MON_10 + timedelta(minutes=1, hours=4)  # normal × regular
    service.take(session, ticket_id=ticket.id, agent="agent1", team="service")
    assert conv.state == "agent"
    service.reply(
        session,
        ticket_id=ticket.id,
        agent="agent1",
        body="您好，我来帮您处理",
        now=MON_10 + timedelta(minutes=5),
    )
    assert ticket.first_responded_at == MON_10 + timedelta(minutes=5)
    sent = session.scalars(select(Message)).all()
    assert len(sent) == 1
    assert sent[0].purpose == "transactional"
    service.resolve(session, ticket_id=ticket.id, now=MON_10 + timedelta(hours=1))
    with pytest.raises(ConversationClosed):
        service.reply(
            session,
            ticket_id=ticket.id,
            agent="agent1",
            body="还在吗",
            now=MON_10 + timedelta(hours=2),
        )
    service.rate(session, ticket_id=ticket.id, score=5)
    rows = report.ticket_rows(session, now=MON_10 + timedelta(hours=2))
    assert rows[0]["first_response_met"] is True
    assert rows[0]["resolution_met"] is True
    assert rows[0]["csat"] == 5
    by_agent = report.sla_summary(rows, by="owner")
    assert by_agent[0]["owner"] == "agent1"
    assert by_agent[0]["sla_met_pct"] == 100.0
    assert by_agent[0]["ticket_ids"] == [ticket.id]


def test_wecom_48_hour_window(session: Session) -> None:
    _, ticket = service.receive(session, wecom("转人工", MON_10, "w1", customer="C7"))
    assert ticket is not None
    with pytest.raises(ReplyWindowExpired):
        service.reply(
            session,
            ticket_id=ticket.id,
            agent="a",
            body="抱歉久等",
            now=MON_10 + timedelta(hours=49),
        )


def test_pause_moves_deadlines_by_business_time(session: Session) -> None:
    t = service.open_ticket(session, subject="退款没到账", now=MON_10, priority="high", tier="gold")
    due = t.resolution_due
    service.pause(session, ticket_id=t.id, reason="customer", now=MON_10 + timedelta(hours=1))
    service.resume(
        session, ticket_id=t.id, now=MON_10 + timedelta(days=1, hours=1)
    )  # 12 business hours
    assert t.paused_business_s == 12 * 3600
    assert t.resolution_due == service.HOURS.add(due, 12 * 3600)


def test_warning_then_escalation(session: Session) -> None:
    t = service.open_ticket(session, subject="订单少件", now=MON_10, priority="normal")
    assert service.watch_sla(session, now=MON_10 + timedelta(hours=3, minutes=30)) == {
        "warned": 1,
        "escalated": 0,
    }
    assert service.watch_sla(session, now=MON_10 + timedelta(hours=5)) == {
        "warned": 0,
        "escalated": 1,
    }
    assert (t.priority, t.team) == ("high", "service-lead")


def test_email_through_a_real_smtp_server(session: Session, store_engine: object) -> None:
    from aiosmtpd.controller import Controller

    factory = sessionmaker(bind=store_engine)  # type: ignore[call-overload]
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    controller = Controller(DeskHandler(factory), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        msg = EmailMessage()
        msg["From"] = "顾客 <someone@example.com>"
        msg["To"] = "service@omniretail.example"
        msg["Subject"] = "发票开错了"
        msg["Message-ID"] = "<abc@example.com>"
        msg.set_content("我上周的订单发票抬头写错了，麻烦重开。")
        with smtplib.SMTP("127.0.0.1", port) as smtp:
            smtp.send_message(msg)
    finally:
        controller.stop()
    with factory() as s:
        conv = s.scalar(select(Conversation).where(Conversation.channel == "email"))
        assert conv is not None
        assert conv.external_id == "someone@example.com"
        assert conv.state == "queued"
        ticket = s.scalar(select(Ticket).where(Ticket.conversation_id == conv.id))
        assert ticket is not None
        assert ticket.subject == "发票开错了"


def test_bad_input_is_named(session: Session) -> None:
    from omniretail.care.desk.errors import BadTicketInput

    with pytest.raises(BadTicketInput):
        service.receive(session, service.Inbound("fax", "x", "hi", MON_10))
    with pytest.raises(BadTicketInput):
        service.receive(session, service.Inbound("wecom", "x", "hi", datetime(2026, 1, 1)))  # noqa: DTZ001
    with pytest.raises(BadTicketInput):
        service.open_ticket(session, subject=" ", now=MON_10)
    _ = UTC


def test_clocks_survive_a_round_trip_through_the_store(session: Session) -> None:
    """SQLite returns stored instants without their zone: they are UTC, read back as UTC."""
    t = service.open_ticket(session, subject="换货进度", now=MON_10)
    session.commit()
    session.expire_all()
    [row] = [r for r in service.queue(session, now=MON_10) if r.ticket.id == t.id]
    assert row.remaining_bh == 4.0
    assert service.watch_sla(session, now=MON_10 + timedelta(hours=1)) == {
        "warned": 0,
        "escalated": 0,
    }


def test_cli_export_and_sla(store_engine: object, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from omniretail.cli.main import app
    from omniretail.platform import db

    with db.session_scope() as s:
        t = service.open_ticket(s, subject="=HYPERLINK(1)", now=MON_10, store_code="S1")
        service.take(s, ticket_id=t.id, agent="agent1")
    out = tmp_path / "tickets.csv"
    r = CliRunner().invoke(app, ["desk", "export", "--out", str(out)])
    assert r.exit_code == 0, r.output
    text = out.read_text("utf-8-sig")
    assert "ticket_id" in text
    assert "'=HYPERLINK(1)" in text
    r = CliRunner().invoke(app, ["desk", "sla", "--by", "owner"])
    assert r.exit_code == 0
    assert '"agent1"' in r.output
