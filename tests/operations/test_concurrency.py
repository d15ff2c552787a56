"""On PostgreSQL, under concurrent requests: a live code never puts a 201st member in a group,
a leader's hold is never oversold, a pickup point never takes more parcels than its capacity
(orders racing through two activities), and concurrent withdrawals never take more commission
than is available."""

from __future__ import annotations

import itertools
import os
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from omniretail.operations.community import livecode, service
from omniretail.operations.community.errors import GroupsFull
from omniretail.operations.community.schemas import GroupIn, JoinIn, LiveCodeIn
from omniretail.operations.groupbuy import commission, ledger, settle
from omniretail.operations.groupbuy import service as gb
from omniretail.operations.groupbuy.errors import (
    HoldExhausted,
    InsufficientCommission,
    PointFull,
)
from omniretail.operations.groupbuy.models import Leader
from omniretail.operations.groupbuy.schemas import GroupOrderCreate
from omniretail.platform import db, migrate
from omniretail.platform.db import utcnow
from tests.omnichannel.factories import retail_world
from tests.operations.groupbuy.factories import activity_in, groupbuy_world

pytestmark = [pytest.mark.postgres, pytest.mark.slow]
_n = itertools.count()


@pytest.fixture
def pg_factory(pg_server: object) -> Iterator[sessionmaker[Session]]:
    url = str(pg_server.create_database(f"ops{os.getpid()}_{next(_n)}"))  # type: ignore[attr-defined]
    migrate.upgrade(url)
    engine: Engine = db.make_engine(url, pool_size=12, max_overflow=4)
    yield sessionmaker(bind=engine, expire_on_commit=False)
    engine.dispose()


def run(n_threads: int, work: Callable[[int], None]) -> None:
    threads = [threading.Thread(target=work, args=(t,)) for t in range(n_threads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def test_concurrent_scans_fill_groups_to_200_exactly(pg_factory: sessionmaker[Session]) -> None:
    with pg_factory() as s:
        retail_world(s)
        for chat in ("g1", "g2"):
            service.upsert_group(s, data=GroupIn(chat_id=chat, name=chat, store_code="S1"))
        livecode.create_code(s, data=LiveCodeIn(code="Q", name="活码", groups=["g1", "g2"]))
        s.commit()
    outcome: Counter[str] = Counter()
    lock = threading.Lock()
    at = datetime(2026, 12, 1, tzinfo=UTC)

    def work(t: int) -> None:
        for i in range(55):
            with pg_factory() as s:
                try:
                    r = livecode.join(
                        s, code="Q", data=JoinIn(member_key=f"m{t}-{i}", joined_at=at)
                    )
                    s.commit()
                    key = r.group.chat_id
                except GroupsFull:
                    s.rollback()
                    key = "full"
            with lock:
                outcome[key] += 1

    run(8, work)  # 440 scans for 400 places
    assert outcome == {"g1": 200, "g2": 200, "full": 40}
    with pg_factory() as s:
        assert [g.members for g in livecode.get_code(s, code="Q").groups] == [200, 200]


def test_a_hold_is_never_oversold_and_withdrawals_never_overdraw(
    pg_factory: sessionmaker[Session],
) -> None:
    now = utcnow()
    with pg_factory() as s:
        groupbuy_world(s)
        gb.create_activity(s, data=activity_in("HOT", now, min_orders=1))
        s.commit()
    outcome: Counter[str] = Counter()
    lock = threading.Lock()

    def order(t: int) -> None:
        for i in range(4):
            with pg_factory() as s:
                data = GroupOrderCreate.model_validate({
                    "activity": "HOT", "leader": "L1", "external_id": f"T{t}-{i}",
                    "customer_id": f"C{t}", "lines": [{"sku": "A1", "quantity": 1}],
                })  # fmt: skip
                try:
                    gb.place_order(s, data=data)
                    s.commit()
                    key = "ok"
                except HoldExhausted:
                    s.rollback()
                    key = "exhausted"
            with lock:
                outcome[key] += 1

    run(6, order)  # 24 orders for a hold of 10
    assert outcome == {"ok": 10, "exhausted": 14}

    with pg_factory() as s:  # form, collect nothing, give L1 commission to withdraw
        settle.decide(s, activity="HOT", now=now + timedelta(hours=3))
        leader_id = gb._leader(s, "L1").id
        ledger.post(
            s, leader_id=leader_id, order_id=None, key="test:grant",
            moves=[commission.Move("accrue", "available", 1_000)],
        )  # fmt: skip
        s.commit()
    paid: Counter[str] = Counter()

    def withdraw(t: int) -> None:
        with pg_factory() as s:
            try:
                settle.withdraw(s, leader="L1", amount_fen=300, key=f"w{t}")
                s.commit()
                key = "ok"
            except InsufficientCommission:
                s.rollback()
                key = "refused"
        with lock:
            paid[key] += 1

    run(8, withdraw)
    assert paid == {"ok": 3, "refused": 5}
    with pg_factory() as s:
        bal = settle.balance(s, leader="L1")
        assert (bal.available, bal.withdrawn) == (100, 900)


def test_a_pickup_point_never_takes_more_parcels_than_its_capacity(
    pg_factory: sessionmaker[Session],
) -> None:
    now = utcnow()
    with pg_factory() as s:
        groupbuy_world(s)
        s.query(Leader).filter(Leader.code == "l1").update({"capacity": 6})
        gb.create_activity(s, data=activity_in("P1", now, min_orders=1))
        gb.create_activity(s, data=activity_in("P2", now, min_orders=1))
        s.commit()
    outcome: Counter[str] = Counter()
    lock = threading.Lock()

    def order(t: int) -> None:
        for i in range(3):  # each thread alternates between the leader's two activities
            with pg_factory() as s:
                data = GroupOrderCreate.model_validate({
                    "activity": f"P{1 + (t + i) % 2}", "leader": "L1",
                    "external_id": f"Q{t}-{i}", "customer_id": f"C{t}",
                    "lines": [{"sku": "A1", "quantity": 1}],
                })  # fmt: skip
                try:
                    gb.place_order(s, data=data)
                    s.commit()
                    key = "ok"
                except PointFull:
                    s.rollback()
                    key = "full"
            with lock:
                outcome[key] += 1

    run(8, order)  # 24 orders for a point of 6 parcels; each hold alone would take 10
    assert outcome == {"ok": 6, "full": 18}
    with pg_factory() as s:
        assert gb.parcels_at_point(s, gb._leader(s, "L1").id) == 6
