"""Clerks' conversations from a WeCom conversation-archive export (JSON lines): 1:1 messages
kept by direction, group chats / recalls / colleagues skipped, bad rows quarantined with their
reason (the rest still imported), a re-import adds nothing; reply rate and first-reply time per
clerk as WeCom counts them (chats the contact started, answered the same natural day), shown
in the HQ ranking and on the clerk's workbench (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from omniretail.cli.main import app
from omniretail.operations.guide import chats, report
from omniretail.operations.guide.models import GuideMessage, GuideMessageReject
from omniretail.platform.auth.scope import StoreScope
from omniretail.platform.timezone import CHAIN_TZ
from tests.operations.guide.factories import guide_world

DAY1 = datetime(2026, 12, 1, tzinfo=CHAIN_TZ)
_n = iter(range(1, 10_000))


def _at(day: datetime, hh: int, mm: int) -> int:
    return int((day + timedelta(hours=hh, minutes=mm)).timestamp() * 1000)


def msg(frm: str, to: str | list[str], ms: int | str, **kw: Any) -> str:
    tolist = to if isinstance(to, list) else [to]
    row = {"msgid": f"m{next(_n)}", "action": "send", "from": frm, "tolist": tolist,
           "roomid": "", "msgtime": ms, "msgtype": "text", "text": {"content": "您好"}}  # fmt: skip
    row.update(kw)
    return json.dumps(row, ensure_ascii=False)


def archive() -> list[str]:
    d2 = DAY1 + timedelta(days=1)
    return [
        # G1: wmA starts at 10:00, answered 10:05 (5 min); wmB starts at 11:00, never answered
        msg("wmA", "G1", _at(DAY1, 10, 0)),
        msg("wmA", "G1", _at(DAY1, 10, 1)),
        msg("G1", "wmA", _at(DAY1, 10, 5)),
        msg("G1", "wmA", _at(DAY1, 10, 6)),
        msg("wmB", "G1", _at(DAY1, 11, 0)),
        # wmC at 23:50, G1 answers at 00:10 the next day: not the same day (a miss); the next
        # day G1 spoke first, so that day's chat is not one the contact started
        msg("wmC", "G1", _at(DAY1, 23, 50)),
        msg("G1", "wmC", _at(d2, 0, 10)),
        msg("wmC", "G1", _at(d2, 0, 12)),
        # G1 starts with wmA on day 2: not counted
        msg("G1", "wmA", _at(d2, 9, 0)),
        msg("wmA", "G1", _at(d2, 9, 30)),
        # G3 (another store): answered after 30 minutes, an ISO time with its offset
        msg("wmD", "G3", (d2 + timedelta(hours=9)).isoformat()),
        msg("G3", "wmD", (d2 + timedelta(hours=9, minutes=30)).isoformat(), msgtype="image"),
        # skipped: a group chat, a recall, two colleagues
        msg("wmA", ["G1", "G2"], _at(DAY1, 12, 0), roomid="wrGroup1"),
        msg("G1", "wmA", _at(DAY1, 12, 1), action="recall"),
        msg("G1", "G2", _at(DAY1, 12, 2)),
        # quarantined
        "{not json",
        "[1, 2]",
        json.dumps(
            {"from": "G1", "tolist": ["wmA"], "msgtime": _at(DAY1, 9, 0), "msgtype": "text"}
        ),
        msg("wmA", "G1", "2026-12-01T10:00:00"),  # no offset
        msg("wmA", "G1", 10**18),  # beyond the calendar
        msg("wmZ", "wmY", _at(DAY1, 9, 0)),  # no clerk on either side
        msg("wmA", [], _at(DAY1, 9, 0)),
        "",  # blank lines are not rows
    ]


def test_archive_import_quarantine_and_reply_metrics(session: Session) -> None:
    guide_world(session)
    now = datetime(2026, 12, 5, tzinfo=UTC)
    lines = archive()
    res = chats.import_archive(session, lines=lines, source="wecom-2026-12-01.jsonl", now=now)
    assert (res.received, res.imported, res.duplicates, res.skipped, res.quarantined) == (
        22, 12, 0, 3, 7
    )  # fmt: skip
    assert res.reasons == {"bad_recipients": 1, "bad_time": 2, "missing_field": 1,
                           "not_json": 2, "unknown_clerk": 1}  # fmt: skip
    bad = session.scalars(select(GuideMessageReject).order_by(GuideMessageReject.line_no)).all()
    assert [(r.line_no, r.reason) for r in bad][:2] == [(16, "not_json"), (17, "not_json")]
    assert bad[0].raw == "{not json"
    out = session.scalars(select(GuideMessage).where(GuideMessage.msgtype == "image")).one()
    assert (out.staff_code, out.contact, out.direction) == ("G3", "wmD", "out")

    redo = chats.import_archive(session, lines=lines, source="wecom-2026-12-01.jsonl", now=now)
    assert (redo.imported, redo.duplicates, redo.quarantined) == (0, 12, 7)
    assert session.scalar(select(func.count()).select_from(GuideMessage)) == 12
    assert session.scalar(select(func.count()).select_from(GuideMessageReject)) == 7

    stats = chats.reply_stats(session, since=DAY1, until=DAY1 + timedelta(days=2),
                              staff_codes=["G1", "G3"])  # fmt: skip
    g1, g3 = stats["G1"], stats["G3"]
    assert (g1.chats, g1.replied, g1.first_reply_minutes) == (3, 1, pytest.approx(5.0))
    assert g1.reply_rate == pytest.approx(1 / 3)
    assert (g3.chats, g3.replied, g3.first_reply_minutes) == (1, 1, pytest.approx(30.0))
    assert "G2" not in stats  # no chats

    ranking = report.clerk_ranking(
        session, None, StoreScope.everything(), now=DAY1 + timedelta(days=3)
    )
    by = {r["staff_code"]: r for r in ranking}
    assert by["G1"]["reply_rate"] == pytest.approx(1 / 3)
    assert by["G1"]["first_reply_minutes"] == pytest.approx(5.0)
    assert by["G2"]["reply_rate"] is None


def test_cli_import_and_the_console_show_reply_metrics(client, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from omniretail.platform import db

    with db.session_scope() as s:
        guide_world(s)
    now = datetime.now(UTC).astimezone(CHAIN_TZ).replace(hour=12, minute=0)
    day = now - timedelta(days=2)
    ms = lambda hh, mm: _at(day.replace(hour=0, minute=0), hh, mm)  # noqa: E731
    f = tmp_path / "archive.jsonl"
    f.write_text("\n".join([
        msg("wmA", "G1", ms(10, 0)), msg("G1", "wmA", ms(10, 12)),
        msg("wmB", "G1", ms(11, 0)),
        "not json",
    ]) + "\n", encoding="utf-8")  # fmt: skip
    out = CliRunner().invoke(app, ["guide", "import-chats", str(f)])
    assert out.exit_code == 0, out.output
    res = json.loads(out.output)
    assert (res["imported"], res["quarantined"], res["reasons"]) == (3, 1, {"not_json": 1})
    assert CliRunner().invoke(app, ["guide", "import-chats", str(tmp_path / "nope")]).exit_code

    hq = client.get("/guide", headers={"accept": "text/html"})
    assert hq.status_code == 200
    row = hq.text.split('data-staff="G1"')[1].split("</tr>")[0]
    assert "50%（2 次会话）" in row
    assert "12 分钟" in row
    me = client.get("/guide/me?staff=G1", headers={"accept": "text/html"})
    assert "近30天回复率" in me.text
    kpi = me.text.split('data-kpi="reply-rate"')[1].split("</div>\n</div>")[0]
    assert "50%" in kpi
