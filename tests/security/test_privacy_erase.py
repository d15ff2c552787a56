"""Finding 3 of the security review: a data-subject request erases a person everywhere — the
operational store, the landing Parquet batches, the work and published DuckDB databases, the
identity Parquet files, the event inbox, the quarantine, messages and service tickets — keeps
the figures, is audited, and survives a later full pipeline run."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import duckdb
import pytest
from typer.testing import CliRunner

from tests.security.privacy_search import search


def _cli(*args: str, input: str | None = None) -> Any:
    from omniretail.cli.main import app

    return CliRunner().invoke(app, list(args), input=input)


def _ok(*args: str) -> str:
    r = _cli(*args)
    assert r.exit_code == 0, r.output
    return str(r.output)


def _person(home: Path) -> dict[str, Any]:
    """The customer with the most identities whose name nobody else has, with an e-mail and a
    unionid."""
    con = sqlite3.connect(home / "omniretail.db")
    rows = con.execute(
        "SELECT c.customer_id, c.name, c.phone, c.email, c.id FROM customer c "
        "JOIN customer_identity i ON i.customer_pk = c.id "
        "WHERE c.email IS NOT NULL AND c.name IS NOT NULL AND c.phone IS NOT NULL "
        "AND (SELECT count(*) FROM customer d WHERE d.name = c.name) = 1 "
        "AND EXISTS (SELECT 1 FROM customer_identity u WHERE u.customer_pk = c.id "
        "            AND u.kind = 'unionid') "
        "GROUP BY c.id ORDER BY count(*) DESC, c.customer_id LIMIT 1"
    ).fetchall()
    assert rows, "no suitable person in the world"
    cid, name, phone, email, pk = rows[0]
    unionid = con.execute(
        "SELECT value FROM customer_identity WHERE customer_pk = ? AND kind = 'unionid'", [pk]
    ).fetchone()[0]
    con.close()
    return {"id": cid, "name": name, "phone": phone, "email": email, "unionid": unionid}


def _figures(home: Path) -> tuple[Any, ...]:
    con = duckdb.connect(str(home / "analytics" / "published.duckdb"), read_only=True)
    try:
        row = con.execute(
            "SELECT count(*), sum(paid_amount) FROM orders WHERE status = 'paid'"
        ).fetchone()
        return tuple(row or ())
    finally:
        con.close()


def _operational_traces(p: dict[str, Any]) -> None:
    """What the world does not create by itself: points, a message, an inbox event, a
    quarantined row and a service conversation naming the person."""
    from datetime import UTC, datetime, timedelta
    from decimal import Decimal

    from omniretail.care.desk.models import Conversation, DeskMessage, Ticket
    from omniretail.cdp.ingest.models import EventInbox, QuarantineRecord
    from omniretail.marketing.loyalty import service as loyalty
    from omniretail.platform.db import session_scope
    from omniretail.platform.messaging.models import Message

    now = datetime.now(UTC)
    with session_scope() as s:
        loyalty.earn(
            s,
            customer_id=p["id"],
            source="pos",
            order_id="PRIV-1",
            amount=Decimal("88"),
            occurred_at=now - timedelta(hours=1),
        )
        s.add(
            Message(
                key=f"privacy-test:{p['id']}",
                customer_id=p["id"],
                channel="sms",
                recipient=p["phone"],
                payload={"text": f"{p['name']}，您好"},
            )
        )
        s.add(
            EventInbox(
                source="app",
                message_id="priv-1",
                type="identify",
                payload=json.dumps(
                    {
                        "type": "identify",
                        "userId": p["unionid"],
                        "traits": {"phone": p["phone"], "name": p["name"], "email": p["email"]},
                    },
                    ensure_ascii=False,
                ),
            )
        )
        s.add(
            QuarantineRecord(
                source="app",
                batch_id="bX",
                file="members.csv",
                row=7,
                reason="bad_birthday",
                raw={"mobile": p["phone"], "nickname": p["name"]},
            )
        )
        conv = Conversation(channel="wecom", external_id="kf:" + p["unionid"], customer_id=p["id"])
        s.add(conv)
        s.flush()
        s.add(
            DeskMessage(
                conversation_id=conv.id,
                direction="in",
                author=p["name"],
                body=f"我的手机 {p['phone'][3:]}，邮箱 {p['email']}",
            )
        )
        s.add(
            Ticket(
                conversation_id=conv.id,
                customer_id=p["id"],
                subject="退款",
                first_response_due=now + timedelta(hours=1),
                resolution_due=now + timedelta(days=1),
            )
        )


@pytest.mark.slow
def test_erase_a_person_everywhere_and_they_stay_gone(home: Path, tmp_path: Path) -> None:
    from omniretail.demo import generate_world

    world = tmp_path / "world"  # outside OMNIRETAIL_HOME: the channels' own exports
    generate_world(world, scale=0.003, seed=7)
    _ok("init")
    _ok("import", "--world", str(world))
    _ok("pipeline", "run")
    p = _person(home)
    _operational_traces(p)
    needles = [p["phone"][3:], p["email"], p["unionid"], p["name"]]
    assert p["phone"].startswith("+86")
    before = search(home, needles)
    assert any(k.startswith("landing/") for k in before), before
    assert any("published.duckdb" in k for k in before), before
    figures = _figures(home)

    out = tmp_path / "export.json"
    _ok("privacy", "export", "--customer", p["id"], "--out", str(out))
    data = json.loads(out.read_text())
    assert data["customer_id"] == p["id"]
    ops = data["operational_store"]
    for table in (
        "customer",
        "customer_identity",
        "loyalty_account",
        "message",
        "event_inbox",
        "quarantine",
        "desk_conversation",
        "desk_message",
        "desk_ticket",
    ):
        assert ops.get(table), table
    assert data["files"]["landing"]
    assert data["analytics"]["published.duckdb"]["customers"][0]["phone"] == p["phone"]
    assert p["email"] in out.read_text()

    refused = _cli("privacy", "erase", "--customer", p["id"], input="n\n")
    assert refused.exit_code != 0
    assert search(home, [p["email"]])  # nothing changed without confirmation

    _ok("privacy", "erase", "--customer", p["id"], "--yes", "--reason", "DSR-1")
    assert search(home, needles) == {}
    assert _figures(home) == figures  # the person's orders are still counted, anonymously

    _ok("pipeline", "run")  # a full re-run from the (rewritten) landing batches
    assert search(home, needles) == {}
    assert _figures(home) == figures

    con = sqlite3.connect(home / "omniretail.db")
    audit = con.execute(
        "SELECT actor, reason, detail FROM audit_log WHERE action = 'privacy.erase'"
    ).fetchall()
    assert len(audit) == 1
    assert audit[0][1] == "DSR-1"
    assert (
        con.execute(
            "SELECT count(*) FROM audit_log WHERE action = 'privacy.export' AND object_id = ?",
            [p["id"]],
        ).fetchone()[0]
        == 1
    )
    # figures kept: the ticket and the points account remain, under a tombstone id
    assert (
        con.execute(
            "SELECT count(*) FROM desk_ticket WHERE customer_id LIKE 'ERASED-%'"
        ).fetchone()[0]
        == 1
    )
    assert con.execute("SELECT count(*) FROM desk_message").fetchone()[0] == 0
    con.close()
