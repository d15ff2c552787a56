"""Concurrent claims and transfers on the real PostgreSQL: no customer is ever bound to two
clerks and no customer is transferred beyond WeCom's limit, whatever the interleaving."""

from __future__ import annotations

import random
import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from omniretail.operations.guide import service
from omniretail.operations.guide.errors import GuideRefused
from omniretail.operations.guide.models import GuideBinding, GuideCustomer, GuideTransfer
from omniretail.operations.guide.schemas import PolicyRead
from tests.operations.guide.factories import CLERKS, guide_world

pytestmark = [pytest.mark.postgres, pytest.mark.parametrize("db_url", ["postgres"], indirect=True)]
T0 = datetime(2026, 12, 6, 2, 0, tzinfo=UTC)


def _run(factory: sessionmaker[Session], n_threads: int, work: list[list[tuple]], fn) -> dict:  # type: ignore[no-untyped-def,type-arg]
    outcomes: dict[str, int] = {}
    lock = threading.Lock()
    barrier = threading.Barrier(n_threads)

    def worker(items: list[tuple]) -> None:  # type: ignore[type-arg]
        barrier.wait()
        for item in items:
            with factory() as s:
                try:
                    fn(s, *item)
                    s.commit()
                    key = "ok"
                except GuideRefused as exc:
                    s.rollback()
                    key = exc.reason
            with lock:
                outcomes[key] = outcomes.get(key, 0) + 1

    threads = [threading.Thread(target=worker, args=(w,)) for w in work]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return outcomes


def _one_active_binding_each(s: Session) -> None:
    active = s.execute(
        select(GuideBinding.customer_id, func.count())
        .where(GuideBinding.ended_at.is_(None))
        .group_by(GuideBinding.customer_id)
        .having(func.count() > 1)
    ).all()
    assert active == []  # 0 customers bound to two clerks
    mismatched = s.scalar(
        select(func.count())
        .select_from(GuideCustomer)
        .join(GuideBinding, GuideBinding.id == GuideCustomer.binding_id)
        .where(
            (GuideBinding.staff_code != GuideCustomer.staff_code)
            | GuideBinding.ended_at.is_not(None)
        )
    )
    assert mismatched == 0


def test_concurrent_claims_bind_each_customer_once(store_engine: Engine) -> None:
    factory = sessionmaker(bind=store_engine, expire_on_commit=False)
    with factory() as s:
        ids = guide_world(s, customers=30)
        service.set_policy(s, policy=PolicyRead(binding_mode="first_touch"))
        s.commit()
    # 4 threads (one per clerk) claim every customer, in different orders, at the same moment
    work = []
    for k, clerk in enumerate(CLERKS):
        order = ids[:]
        random.Random(k).shuffle(order)
        work.append([(c, clerk) for c in order])

    def claim(s: Session, cid: str, clerk: str) -> None:
        service.claim(s, customer_id=cid, staff_code=clerk, source="store_qr", at=T0)

    out = _run(factory, len(CLERKS), work, claim)
    assert out == {"ok": 30, "already_bound": 90}
    with factory() as s:
        assert s.scalar(select(func.count()).select_from(GuideBinding)) == 30
        _one_active_binding_each(s)


def test_concurrent_latest_touch_and_transfers_stay_within_limits(store_engine: Engine) -> None:
    factory = sessionmaker(bind=store_engine, expire_on_commit=False)
    with factory() as s:
        ids = guide_world(s, customers=12)
        service.set_policy(
            s, policy=PolicyRead(binding_mode="latest_touch", protection_days=0, takeover_hours=0)
        )
        for c in ids:
            service.claim(s, customer_id=c, staff_code="G1", source="store_qr", at=T0)
        s.commit()

    def act(s: Session, cid: str, clerk: str, kind: str, minute: int) -> None:
        at = T0 + timedelta(minutes=minute)
        if kind == "claim":
            service.claim(s, customer_id=cid, staff_code=clerk, source="share_link", at=at)
        else:
            try:
                service.request_transfer(s, customer_id=cid, to_staff=clerk, at=at)
            finally:
                service.complete_due_transfers(s, now=at)

    work = []
    for k, clerk in enumerate(CLERKS):
        rnd = random.Random(100 + k)
        work.append(
            [(rnd.choice(ids), clerk, rnd.choice(("claim", "transfer")), m) for m in range(40)]
        )
    out = _run(factory, len(CLERKS), work, act)
    assert out.get("ok", 0) > 0
    assert out.get("transfer_limit", 0) > 0
    with factory() as s:
        _one_active_binding_each(s)
        per_customer = s.execute(
            select(GuideTransfer.customer_id, func.count())
            .where(GuideTransfer.status.in_(("pending", "done")))
            .group_by(GuideTransfer.customer_id)
        ).all()
        assert per_customer
        assert max(n for _, n in per_customer) <= 2
