"""The 1:1 vs SMS evaluation: conversion per contact within the window, intervals, ratio, and
the simulated blast when the data has no SMS marketing."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pyarrow as pa
import pytest
from sqlalchemy.orm import Session

from omniretail.operations.guide import evaluate, service
from omniretail.operations.guide.models import GuideTask
from omniretail.platform.engine.duckdb import DuckDBEngine
from omniretail.platform.messaging.models import Message
from tests.operations.guide.factories import guide_world

T0 = datetime(2026, 11, 1, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai


def _orders(rows: list[tuple[str, datetime]]) -> DuckDBEngine:
    engine = DuckDBEngine()
    engine.register_arrow("orders", pa.table({
        "customer_id": [c for c, _ in rows],
        "ordered_at": pa.array([t for _, t in rows], pa.timestamp("us")),
        "status": ["paid"] * len(rows),
    }))  # fmt: skip
    return engine


def test_clerk_vs_sms_conversion(sqlite_session: Session) -> None:
    s = sqlite_session
    ids = guide_world(s, customers=10)
    service.import_bindings(s, rows=[(c, "G1", T0 - timedelta(days=30)) for c in ids])
    for i, c in enumerate(ids[:4]):  # 4 clerk contacts on Nov 1st
        s.add(GuideTask(day=date(2026, 11, 1), staff_code="G1", customer_id=c, kind="birthday",
                        message="m", status="sent", channel="copy", closed_at=T0))  # fmt: skip
    s.add(GuideTask(day=date(2026, 11, 1), staff_code="G1", customer_id=ids[9], kind="birthday",
                    message="m", status="open"))  # fmt: skip
    for i, c in enumerate(ids[4:9]):  # 5 SMS contacts
        s.add(Message(key=f"sms-{i}", origin_kind="campaign", purpose="marketing",
                      customer_id=c, channel="sms", recipient="x", payload={}, status="sent",
                      sent_at=T0))  # fmt: skip
    s.flush()
    local = datetime(2026, 11, 1, 10)  # the contacts, on the chain's wall clock
    engine = _orders([
        (ids[0], local + timedelta(days=2)), (ids[1], local + timedelta(days=6)),
        (ids[2], local + timedelta(days=9)),   # after the 7-day window
        (ids[3], local - timedelta(days=1)),   # before the contact
        (ids[4], local + timedelta(days=1)),
        ("C999999999", local + timedelta(days=30)),  # the data runs to Dec 1st
    ])  # fmt: skip
    out = evaluate.evaluate(s, engine)
    assert out["sms_source"] == "messages"
    clerk, sms = out["clerk_1to1"], out["sms_blast"]
    assert (clerk["contacts"], clerk["converted"], clerk["members"]) == (4, 2, 4)
    assert (sms["contacts"], sms["converted"]) == (5, 1)
    assert clerk["ci_low"] < 0.5 < clerk["ci_high"]
    assert out["ratio"]["value"] == pytest.approx(0.5 / 0.2)
    assert out["ratio"]["ci_low"] < 2.5 < out["ratio"]["ci_high"]
    assert out["difference"]["value"] == pytest.approx(0.3)


def test_simulated_blast_when_no_sms_was_sent(sqlite_session: Session) -> None:
    s = sqlite_session
    ids = guide_world(s, customers=6)
    service.import_bindings(s, rows=[(c, "G1", T0 - timedelta(days=30)) for c in ids])
    s.add(GuideTask(day=date(2026, 11, 1), staff_code="G1", customer_id=ids[0], kind="birthday",
                    message="m", status="sent", channel="copy", closed_at=T0))  # fmt: skip
    s.flush()
    engine = _orders([(ids[0], datetime(2026, 11, 2, 10)), (ids[1], datetime(2026, 12, 1))])
    out = evaluate.evaluate(s, engine)
    assert out["sms_source"] == "simulated"
    assert out["sms_blast"]["contacts"] == 1
    assert out == evaluate.evaluate(s, engine)  # the same sample every time
