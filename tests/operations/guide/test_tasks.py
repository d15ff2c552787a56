"""Clerk tasks from the snapshot's tags: due kinds, one task per customer a day, the clerk's cap,
re-entry, the holdout left alone; acting on a task sends through the outbox with origin clerk."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pyarrow as pa
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from omniretail.marketing.coupon import service as coupon_service
from omniretail.marketing.coupon.schemas import TemplateCreate
from omniretail.operations.guide import service, tasks, worklist
from omniretail.operations.guide.errors import GuideRefused, TaskNotFound
from omniretail.operations.guide.schemas import PolicyRead, VisitIn
from omniretail.platform.engine.duckdb import DuckDBEngine
from omniretail.platform.messaging.models import Message
from tests.operations.guide.factories import guide_world

DAY = date(2026, 12, 7)
NOW = datetime(2026, 12, 6, 23, 0, tzinfo=UTC)


def _tags(ids: list[str]) -> DuckDBEngine:
    engine = DuckDBEngine()
    n = len(ids)
    engine.register_arrow(
        "customer_tags",
        pa.table({
            "customer_id": ids,
            "lifecycle_stage": ["dormant"] * 2 + ["active"] * (n - 2),
            "rfm_m": [5, 1] + [3] * (n - 2),
            "sales_total": [100.0 * i for i in range(n)],
            "birthday_this_month": [True] * n,
            "overdue_ratio": [1.0] * n,
            "new_product_lover": [False] * n,
        }),
    )  # fmt: skip
    return engine


@pytest.fixture
def world(sqlite_session: Session) -> list[str]:
    ids = guide_world(sqlite_session, customers=12)
    service.set_policy(sqlite_session, policy=PolicyRead(holdout_pct=0, daily_task_cap=5))
    for c in ids[:8]:
        service.claim(sqlite_session, customer_id=c, staff_code="G1", source="store_qr", at=NOW)
    for c in ids[8:11]:
        service.claim(sqlite_session, customer_id=c, staff_code="G3", source="store_qr", at=NOW)
    return ids


def test_tasks_per_clerk_with_cap_and_reentry(sqlite_session: Session, world: list[str]) -> None:
    session, ids = sqlite_session, world
    engine = _tags(ids)
    run = tasks.generate_tasks(session, engine, day=DAY, now=NOW)
    assert (run.tasks, run.clerks) == (5 + 3, 2)
    g1 = worklist.tasks_of(session, staff_code="G1", day=DAY)
    # dormant and valuable first, then birthdays of the most valuable customers
    assert [(t.customer_id, t.kind) for t in g1] == [
        (ids[0], "dormant_high_value"),
        (ids[7], "birthday"), (ids[6], "birthday"), (ids[5], "birthday"), (ids[4], "birthday"),
    ]  # fmt: skip
    assert g1[1].message.startswith("生日快乐")
    assert g1[1].coupon_template == "GUIDE_BIRTHDAY"
    assert ids[11] not in {t.customer_id for t in g1}  # not bound to anyone
    # a rerun the same day adds nothing: G1 is at its cap, G3's customers all have a task
    assert tasks.generate_tasks(session, engine, day=DAY, now=NOW).tasks == 0
    # the next day nobody gets the kind of task they got yesterday (birthdays wait 330 days)
    tasks.generate_tasks(session, engine, day=DAY + timedelta(days=1), now=NOW)
    yesterday = {(t.customer_id, t.kind) for t in g1}
    today = worklist.tasks_of(session, staff_code="G1", day=DAY + timedelta(days=1))
    assert len(today) == 5
    assert not yesterday & {(t.customer_id, t.kind) for t in today}


def test_holdout_customers_get_no_tasks(sqlite_session: Session) -> None:
    ids = guide_world(sqlite_session, customers=40)
    service.set_policy(sqlite_session, policy=PolicyRead(holdout_pct=30, daily_task_cap=100))
    for c in ids:
        service.claim(sqlite_session, customer_id=c, staff_code="G1", source="store_qr", at=NOW)
    held = {b.customer_id for b in service.customers_of(sqlite_session, staff_code="G1")
            if b.holdout}  # fmt: skip
    assert 0 < len(held) < 40
    tasks.generate_tasks(sqlite_session, _tags(ids), day=DAY, now=NOW)
    tasked = {t.customer_id for t in worklist.tasks_of(sqlite_session, staff_code="G1", day=DAY)}
    assert tasked == set(ids) - held


def test_send_copy_and_close(sqlite_session: Session, world: list[str]) -> None:
    session = sqlite_session
    coupon_service.create_template(session, data=TemplateCreate.model_validate({
        "code": "GUIDE_BIRTHDAY", "name": "生日礼券", "kind": "amount_off",
        "rules": {"amount": "10"}, "min_spend": "50", "valid_days": 30, "face_value": "10",
    }))  # fmt: skip
    tasks.generate_tasks(session, _tags(world), day=DAY, now=NOW)
    first, second, third, *_ = worklist.tasks_of(session, staff_code="G1", day=DAY)
    with pytest.raises(TaskNotFound):
        worklist.act(session, task_id=second.id, staff_code="G3", action="send")
    sent = worklist.act(session, task_id=second.id, staff_code="G1", action="send",
                        issue_coupon=True, now=NOW)  # fmt: skip
    assert (sent.status, sent.channel) == ("sent", "wecom")
    assert sent.coupon_code
    msg = session.scalars(select(Message).where(Message.id == sent.message_id)).one()
    assert (msg.origin_kind, msg.channel) == ("clerk", "wecom")
    assert sent.coupon_code in str(msg.payload)
    with pytest.raises(GuideRefused, match="不能再发送"):
        worklist.act(session, task_id=second.id, staff_code="G1", action="send")
    assert worklist.act(session, task_id=third.id, staff_code="G1", action="copy").channel == "copy"
    assert worklist.act(session, task_id=first.id, staff_code="G1", action="refused").status == (
        "refused"
    )
    v = worklist.record_visit(session, staff_code="G1", visit=VisitIn(customer_id=world[0]))
    assert v.kind == "store_visit"
    with pytest.raises(GuideRefused, match="不是您的绑定客户"):
        worklist.record_visit(session, staff_code="G3", visit=VisitIn(customer_id=world[0]))
