"""Correctness under concurrency on PostgreSQL: a randomized stateful test (hypothesis) against
a model of the ledger, and a threaded stress of mixed operations on 10 hot SKUs."""

from __future__ import annotations

import random
import threading
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session, sessionmaker

from omniretail.omnichannel.inventory import service as inv
from omniretail.omnichannel.inventory.errors import InventoryError
from omniretail.omnichannel.inventory.models import Reservation, StockMovement
from omniretail.omnichannel.inventory.schemas import LocationCreate
from omniretail.omnichannel.inventory.schemas import ReservationLine as L

pytestmark = pytest.mark.postgres

T0 = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
LOCS = ("S1", "S2")
SKUS = ("A", "B")
TABLES = "inv_movement, inv_reservation, inv_level, inv_item, inv_location"


def _setup(session: Session, skus: tuple[str, ...], locs: tuple[str, ...]) -> None:
    for code in locs:
        inv.register_location(session, data=LocationCreate(code=code, name=code))
    for sku in skus:
        inv.register_item(session, sku=sku)
    session.commit()


class LedgerMachine(RuleBasedStateMachine):
    """Every rule runs its own transaction; the model is what the ledger must say."""

    factory: sessionmaker[Session]

    def __init__(self) -> None:
        super().__init__()
        self.s = self.factory()
        self.now = T0
        self.on_hand: Counter[tuple[str, str]] = Counter()
        self.holds: dict[str, tuple[str, str, int, str, datetime]] = {}  # key -> loc,sku,q,st,exp
        self.n = 0

    @initialize()
    def fresh(self) -> None:
        self.s.execute(text(f"TRUNCATE {TABLES} RESTART IDENTITY CASCADE"))
        self.s.commit()
        _setup(self.s, SKUS, LOCS)

    def reserved(self, loc: str, sku: str) -> int:
        return sum(
            q
            for lc, sk, q, st_, _ in self.holds.values()
            if (lc, sk) == (loc, sku) and st_ == "active"
        )

    def run(self, fn: Callable[[], object]) -> bool:
        try:
            fn()
        except InventoryError:
            self.s.rollback()
            return False
        self.s.commit()
        return True

    @rule(loc=st.sampled_from(LOCS), sku=st.sampled_from(SKUS), q=st.integers(1, 5))
    def receive(self, loc: str, sku: str, q: int) -> None:
        assert self.run(lambda: inv.receive(self.s, location=loc, sku=sku, quantity=q))
        self.on_hand[(loc, sku)] += q

    @rule(
        loc=st.sampled_from(LOCS),
        sku=st.sampled_from(SKUS),
        q=st.integers(1, 4),
        ttl=st.integers(1, 30),
    )
    def reserve(self, loc: str, sku: str, q: int, ttl: int) -> None:
        self.n += 1
        key = f"k{self.n}"
        ok = self.run(
            lambda: inv.reserve(
                self.s,
                key=key,
                lines=[L(location=loc, sku=sku, quantity=q)],
                ttl=timedelta(minutes=ttl),
                now=self.now,
            )
        )
        avail = self.on_hand[(loc, sku)] - self.reserved(loc, sku)
        assert ok == (q <= avail)
        if ok:
            self.holds[key] = (loc, sku, q, "active", self.now + timedelta(minutes=ttl))

    def pick(self, data: st.DataObject) -> str | None:
        if not self.holds:
            return None
        return data.draw(st.sampled_from(sorted(self.holds)))

    @rule(data=st.data())
    def commit(self, data: st.DataObject) -> None:
        key = self.pick(data)
        if key is None:
            return
        loc, sku, q, status, exp = self.holds[key]
        ok = self.run(lambda: inv.commit(self.s, key=key, now=self.now))
        expect = status == "committed" or (
            status == "active" and exp > self.now and self.on_hand[(loc, sku)] >= q
        )
        assert ok == expect, (key, status)
        if ok and status == "active":
            self.on_hand[(loc, sku)] -= q
            self.holds[key] = (loc, sku, q, "committed", exp)

    @rule(data=st.data())
    def release(self, data: st.DataObject) -> None:
        key = self.pick(data)
        if key is None:
            return
        loc, sku, q, status, exp = self.holds[key]
        assert self.run(lambda: inv.release(self.s, key=key, now=self.now))
        if status == "active":
            self.holds[key] = (loc, sku, q, "released", exp)

    @rule(data=st.data())
    def cancel(self, data: st.DataObject) -> None:
        key = self.pick(data)
        if key is None:
            return
        loc, sku, q, status, exp = self.holds[key]
        assert self.run(lambda: inv.cancel(self.s, key=key, now=self.now))
        if status == "committed":
            self.on_hand[(loc, sku)] += q
        if status in ("active", "committed"):
            self.holds[key] = (loc, sku, q, "cancelled", exp)

    @rule(minutes=st.integers(1, 20))
    def tick_and_expire(self, minutes: int) -> None:
        self.now += timedelta(minutes=minutes)
        n = inv.expire_due(self.s, now=self.now)
        self.s.commit()
        due = [k for k, (*_, st_, exp) in self.holds.items() if st_ == "active" and exp <= self.now]
        assert n == len(due)
        for k in due:
            loc, sku, q, _, exp = self.holds[k]
            self.holds[k] = (loc, sku, q, "expired", exp)

    @rule(loc=st.sampled_from(LOCS), sku=st.sampled_from(SKUS), counted=st.integers(0, 12))
    def count(self, loc: str, sku: str, counted: int) -> None:
        assert self.run(lambda: inv.count(self.s, location=loc, sku=sku, counted=counted))
        self.on_hand[(loc, sku)] = counted

    @rule(loc=st.sampled_from(LOCS), sku=st.sampled_from(SKUS), q=st.integers(1, 4))
    def sell(self, loc: str, sku: str, q: int) -> None:
        ok = self.run(lambda: inv.sell(self.s, location=loc, sku=sku, quantity=q))
        assert ok == (self.on_hand[(loc, sku)] - self.reserved(loc, sku) >= q)
        if ok:
            self.on_hand[(loc, sku)] -= q

    @invariant()
    def levels_match_model_and_ledger(self) -> None:
        if not hasattr(self, "s"):
            return
        for loc in LOCS:
            for sku in SKUS:
                try:
                    lv = inv.get_level(self.s, location=loc, sku=sku)
                except InventoryError:
                    return  # before initialize
                assert (lv.on_hand, lv.reserved) == (
                    self.on_hand[(loc, sku)],
                    self.reserved(loc, sku),
                )
                assert lv.reserved >= 0
        assert inv.verify(self.s) == []
        self.s.rollback()

    def teardown(self) -> None:
        self.s.close()


@pytest.mark.slow
def test_ledger_state_machine(pg_factory: sessionmaker[Session]) -> None:
    LedgerMachine.factory = pg_factory
    run_state_machine_as_test(
        LedgerMachine,
        settings=settings(
            max_examples=30,
            stateful_step_count=40,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        ),
    )


HOT = tuple(f"HOT{i}" for i in range(10))


@pytest.mark.slow
def test_threaded_stress_no_oversell_no_drift(pg_factory: sessionmaker[Session]) -> None:
    """≥ 10,000 mixed operations from 8 threads on 10 hot SKUs at 2 locations."""
    with pg_factory() as s:
        _setup(s, HOT, LOCS)
        for loc in LOCS:
            for sku in HOT:
                inv.receive(s, location=loc, sku=sku, quantity=40, key=f"init:{loc}:{sku}")
        s.commit()
    received: Counter[tuple[str, str]] = Counter({(lc, sk): 40 for lc in LOCS for sk in HOT})
    returned: Counter[tuple[str, str]] = Counter()
    stats: Counter[str] = Counter()
    committed_keys: list[tuple[str, str, str, int]] = []
    all_keys: list[str] = []
    lock = threading.Lock()
    n_threads, per_thread = 8, 1280
    clock = {"now": T0}

    def worker(tid: int) -> None:
        rng = random.Random(tid)
        with pg_factory() as s:
            for i in range(per_thread):
                op = rng.random()
                now = clock["now"]
                try:
                    if op < 0.35:
                        loc, sku = rng.choice(LOCS), rng.choice(HOT)
                        key = f"t{tid}:{i}"
                        inv.reserve(
                            s,
                            key=key,
                            lines=[L(location=loc, sku=sku, quantity=rng.randint(1, 3))],
                            ttl=timedelta(seconds=rng.randint(1, 120)),
                            now=now,
                        )
                        s.commit()
                        with lock:
                            all_keys.append(key)
                        stats["reserve"] += 1
                    elif op < 0.6 and all_keys:
                        with lock:  # mostly recent holds, which are still open
                            key = rng.choice(all_keys[-40:])
                        rows = inv.commit(s, key=key, now=now)
                        s.commit()
                        with lock:
                            committed_keys.append(
                                (key, rows[0].location, rows[0].sku, rows[0].quantity)
                            )
                        stats["commit"] += 1
                    elif op < 0.7 and all_keys:
                        with lock:
                            key = rng.choice(all_keys)
                        inv.release(s, key=key, now=now)
                        s.commit()
                        stats["release"] += 1
                    elif op < 0.8 and all_keys:
                        with lock:
                            key = rng.choice(all_keys)
                        inv.cancel(s, key=key, now=now)
                        s.commit()
                        stats["cancel"] += 1
                    elif op < 0.88:
                        with lock:
                            clock["now"] = clock["now"] + timedelta(seconds=5)
                        inv.expire_due(s, now=clock["now"], limit=50)
                        s.commit()
                        stats["expire"] += 1
                    elif op < 0.95 and committed_keys:
                        with lock:
                            _key, loc, sku, _q = rng.choice(committed_keys)
                        inv.return_stock(s, location=loc, sku=sku, quantity=1)
                        s.commit()
                        with lock:
                            returned[(loc, sku)] += 1
                        stats["return"] += 1
                    else:
                        loc, sku = rng.choice(LOCS), rng.choice(HOT)
                        inv.receive(s, location=loc, sku=sku, quantity=2)
                        s.commit()
                        with lock:
                            received[(loc, sku)] += 2
                        stats["receive"] += 1
                except InventoryError:
                    s.rollback()
                    stats["refused"] += 1

    threads = [threading.Thread(target=worker, args=(t,)) for t in range(n_threads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(stats.values()) >= 10_000, stats
    with pg_factory() as s:
        assert inv.verify(s) == []
        # a cancelled line restocks at most once; every committed-then-cancelled line exactly once
        restocks = s.execute(
            select(StockMovement.reservation_id, func.count())
            .where(StockMovement.kind == "restock")
            .group_by(StockMovement.reservation_id)
        ).all()
        assert all(n == 1 for _, n in restocks)
        commits = {
            r
            for (r,) in s.execute(
                select(StockMovement.reservation_id).where(StockMovement.kind == "commit")
            )
        }
        cancelled_after_commit = {
            r.id
            for r in s.scalars(select(Reservation).where(Reservation.status == "cancelled"))
            if r.id in commits
        }
        assert {r for r, _ in restocks} == cancelled_after_commit
        # no oversell: on hand = received + returned − committed + restocked, never below zero
        for loc in LOCS:
            for sku in HOT:
                lv = inv.get_level(s, location=loc, sku=sku)
                sold = s.scalar(
                    text(
                        "SELECT coalesce(-sum(m.d_on_hand), 0) FROM inv_movement m "
                        "JOIN inv_level l ON l.id = m.level_id "
                        "JOIN inv_location c ON c.id = l.location_id "
                        "JOIN inv_item i ON i.id = l.item_id "
                        "WHERE m.kind IN ('commit', 'restock') AND "
                        "c.code = :loc AND i.sku = :sku"
                    ),
                    {"loc": loc, "sku": sku},
                )
                assert lv.on_hand == received[(loc, sku)] + returned[(loc, sku)] - sold
                assert lv.on_hand >= 0
                assert lv.reserved >= 0
                held = s.scalar(
                    select(func.coalesce(func.sum(Reservation.quantity), 0))
                    .where(Reservation.status == "active", Reservation.group_key.in_(all_keys))
                    .where(
                        Reservation.level_id
                        == s.scalar(
                            text(
                                "SELECT l.id FROM inv_level l JOIN inv_location c ON "
                                "c.id = l.location_id JOIN inv_item i ON i.id = l.item_id "
                                "WHERE c.code = :loc AND i.sku = :sku"
                            ),
                            {"loc": loc, "sku": sku},
                        )
                    )
                )
                assert lv.reserved == held
                assert lv.reserved <= lv.on_hand
    print(dict(stats))  # noqa: T201
