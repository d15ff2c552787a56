"""Concurrent and retried ledger writes on PostgreSQL: each order earns once, balances hold."""

from __future__ import annotations

import random
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import sessionmaker

from omniretail.marketing.loyalty import ledger
from omniretail.marketing.loyalty.errors import InsufficientPoints
from omniretail.marketing.loyalty.models import PointsEntry
from omniretail.platform import migrate
from omniretail.platform.db import make_engine

NOW = datetime(2026, 5, 1, tzinfo=UTC)


@pytest.mark.postgres
def test_concurrent_retried_earns_and_redeems_keep_the_ledger_exact(pg_server: object) -> None:
    url = pg_server.create_database("loyalty_storm")  # type: ignore[attr-defined]
    migrate.upgrade(url)
    engine = make_engine(url, pool_size=24, max_overflow=4)
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    rng = random.Random(3)
    customers = ["C1", "C2", "C3"]
    orders = {
        f"O{i}": (rng.choice(customers), Decimal(rng.randrange(100, 50000)) / 100)
        for i in range(300)
    }
    ops: list[tuple[str, str]] = [("earn", o) for o in orders for _ in range(rng.randint(1, 3))]
    ops += [("redeem", f"R{i}") for i in range(150) for _ in range(2)]
    rng.shuffle(ops)
    redeem_for = {f"R{i}": (rng.choice(customers), rng.randrange(20, 300)) for i in range(150)}

    def run(op: tuple[str, str]) -> str:
        kind, ref = op
        with factory() as s:
            try:
                if kind == "earn":
                    customer, amount = orders[ref]
                    ledger.earn_points(
                        s,
                        customer_id=customer,
                        source="pos",
                        order_id=ref,
                        amount=amount,
                        occurred_at=NOW,
                        now=NOW,
                    )
                else:
                    customer, points = redeem_for[ref]
                    ledger.redeem_points(s, customer_id=customer, points=points, ref=ref, now=NOW)
                s.commit()
                return "ok"
            except InsufficientPoints:
                s.rollback()
                return "insufficient"

    with ThreadPoolExecutor(24) as pool:
        outcomes = Counter(pool.map(run, ops))
    assert set(outcomes) <= {"ok", "insufficient"}

    with factory() as s:
        earned = dict(
            s.execute(
                select(PointsEntry.ref, func.count())
                .where(PointsEntry.kind == "earn")
                .group_by(PointsEntry.ref)
            ).all()
        )
        assert earned == dict.fromkeys(orders, 1)  # every order once, however often retried
        for customer in customers:
            account = ledger.get_account(s, customer)
            check = ledger.verify(s, account)
            assert check["ok"], check
            expected_earn = sum(int(a) for c, a in orders.values() if c == customer)
            spent = -int(
                s.scalar(
                    select(func.coalesce(func.sum(PointsEntry.points), 0)).where(
                        PointsEntry.account_id == account.id, PointsEntry.kind == "redeem"
                    )
                )
                or 0
            )
            assert check["entries"] == expected_earn - spent >= 0
    engine.dispose()
