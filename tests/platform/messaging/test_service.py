"""The outbox's bulk paths, on SQLite and on PostgreSQL: ``enqueue`` (COPY on PostgreSQL) and
the per-customer lookups (one array parameter on PostgreSQL, IN lists elsewhere) give the same
rows, counts and errors on both stores."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.exc import IntegrityError, StatementError
from sqlalchemy.orm import Session

from omniretail.platform import bulk
from omniretail.platform.messaging import outbox
from omniretail.platform.messaging import service as messaging
from omniretail.platform.messaging.models import Message

NOW = datetime(2026, 7, 1, 2, 0, tzinfo=UTC)
N = 2 * bulk.CHUNK + 1  # more than two IN lists' worth


def _rows(n: int, *, prefix: str = "K", start: int = 0) -> list[dict[str, Any]]:
    return [
        {
            "key": f"{prefix}:{i}",
            "customer_id": f"C{i:06d}",
            "channel": ("sms", "email", "wechat")[i % 3],
            "recipient": f"1380000{i:04d}",
            "payload": {
                "title": "满50减10\t周末" if i == 1 else f"t{i}",
                "body": 'a\\b\n"c"' if i == 2 else "正文",
                "link": None,
                "extra": {"variant": "A" if i % 2 else None},
            },
            "priority": 40 + i % 3,
            "status": "queued",
            "due_at": NOW - timedelta(hours=i % 50),
        }
        for i in range(start, start + n)
    ]


@pytest.fixture
def statements(session: Session) -> Iterator[list[str]]:
    """The SQL statements the session sends through SQLAlchemy (COPY goes around it)."""
    seen: list[str] = []
    engine = session.get_bind()

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement.split(None, 1)[0].upper())

    event.listen(engine, "before_cursor_execute", record)
    yield seen
    event.remove(engine, "before_cursor_execute", record)


def _is_pg(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def test_enqueue_writes_new_keys_once_with_defaults(
    session: Session, statements: list[str]
) -> None:
    rows = _rows(N)
    for r in rows:
        del r["status"]  # left to the column default
    assert outbox.write_rows(session, rows) == N
    session.commit()
    # on PostgreSQL the rows go by COPY and the key lookup is one statement
    assert statements.count("INSERT") == (0 if _is_pg(session) else 3)
    assert statements.count("SELECT") == (1 if _is_pg(session) else 3)
    got = {m.key: m for m in session.scalars(select(Message))}
    assert len(got) == N
    for want in (rows[0], rows[1], rows[2], rows[-1]):
        m = got[want["key"]]
        assert {k: getattr(m, k) for k in want if k != "due_at"} == {
            k: v for k, v in want.items() if k != "due_at"
        }
        assert m.due_at.replace(tzinfo=UTC) == want["due_at"]
        assert (m.status, m.attempts, m.sent_at, m.error) == ("queued", 0, None, None)
        assert m.created_at is not None
    # a retry adds none; a batch of old and new keys adds (and counts) only the new ones
    assert outbox.write_rows(session, rows) == 0
    assert outbox.write_rows(session, rows[:10] + _rows(7, start=N)) == 7
    session.commit()
    assert session.scalar(select(func.count()).select_from(Message)) == N + 7
    assert outbox.write_rows(session, []) == 0


def test_a_new_key_twice_is_an_integrity_error_and_a_rollback_leaves_nothing(
    session: Session,
) -> None:
    outbox.write_rows(session, _rows(3))
    session.commit()
    # an existing key twice is skipped twice, as before
    assert outbox.write_rows(session, _rows(3) + _rows(3)) == 0
    with pytest.raises(IntegrityError):
        outbox.write_rows(session, _rows(5, start=10) + _rows(1, start=12))
    session.rollback()
    # the first row's keys name the columns: a later row without one of them is refused
    rows = _rows(2, start=20)
    del rows[1]["recipient"]
    with pytest.raises(StatementError, match="'recipient', in parameter group 1"):
        outbox.write_rows(session, rows)
    session.rollback()
    outbox.write_rows(session, _rows(100, start=100))
    session.rollback()
    assert session.scalar(select(func.count()).select_from(Message)) == 3


def test_recent_counts_and_preemption_over_many_customers(
    session: Session, statements: list[str]
) -> None:
    rows = _rows(N)
    rows[5]["due_at"] = NOW - timedelta(days=8)  # out of the week
    rows[6]["status"] = "failed"  # not live
    rows += _rows(N, prefix="L")  # a second message per customer
    outbox.write_rows(session, rows)
    session.commit()
    ids = [f"C{i:06d}" for i in range(0, N + 50)]  # 50 customers with no messages
    statements.clear()
    week, day = messaging.recent_counts(session, ids, now=NOW)
    assert statements == (["SELECT"] if _is_pg(session) else ["SELECT"] * 3)
    want_week: dict[str, int] = {}
    want_day: dict[tuple[str, str], int] = {}
    for r in rows:
        if r.get("status", "queued") == "failed" or r["due_at"] < NOW - timedelta(days=7):
            continue
        want_week[r["customer_id"]] = want_week.get(r["customer_id"], 0) + 1
        if r["due_at"] >= NOW - timedelta(days=1):
            k = (r["customer_id"], r["channel"])
            want_day[k] = want_day.get(k, 0) + 1
    assert week == want_week
    assert day == want_day

    statements.clear()
    n = messaging.preempt_lower_priority(session, ids[::2], priority=41, now=NOW, by="VIP")
    assert statements == (["UPDATE"] if _is_pg(session) else ["UPDATE"] * 2)
    want = {
        r["key"]
        for r in rows
        if int(r["customer_id"][1:]) % 2 == 0
        and r.get("status", "queued") == "queued"
        and r["priority"] < 41
        and r["due_at"] >= NOW - timedelta(days=1)
    }
    assert n == len(want) > 0
    session.commit()
    got = set(session.scalars(select(Message.key).where(Message.status == "suppressed")))
    assert got == want
    errors = set(session.scalars(select(Message.error).where(Message.status == "suppressed")))
    assert errors == {"preempted by higher-priority campaign VIP"}
    assert messaging.recent_counts(session, [], now=NOW) == ({}, {})
    assert messaging.preempt_lower_priority(session, [], priority=99, now=NOW, by="X") == 0
