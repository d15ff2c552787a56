"""Many clients redeem limited coupons at once: never an over-redemption, never a double one.

PostgreSQL: 10,000 attempts from 50 threads, each with its own session (connection), on 1,000
coupons whose template allows 300 redemptions; several different orders compete for each
coupon and the same order is retried. SQLite: the same on a smaller scale (writers serialize).
"""

from __future__ import annotations

import random
import threading
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import sessionmaker

from omniretail.marketing.coupon import redemption, service
from omniretail.marketing.coupon.errors import CouponError
from omniretail.marketing.coupon.models import Coupon, CouponRedemption, CouponTemplate
from omniretail.platform import migrate
from omniretail.platform.db import make_engine
from tests.marketing.coupon.factories import NOW, basket, template


def _storm(url: str, *, coupons: int, limit: int, attempts: int, threads: int) -> None:
    migrate.upgrade(url)
    engine = (
        make_engine(url, pool_size=threads, max_overflow=5)
        if "postgres" in url
        else (make_engine(url))
    )
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    with factory() as s:
        template(s, "STORM", redeem_limit=limit)
        customers = [f"C{i:09d}" for i in range(coupons)]
        service.issue_batch(
            s, campaign_id="storm", customer_ids=customers, template="STORM", now=NOW
        )
        s.commit()
        owner = dict(s.execute(select(Coupon.code, Coupon.customer_id)).all())
    codes = sorted(owner)
    rng = random.Random(7)
    plan = []
    for _ in range(attempts):
        code = rng.choice(codes)
        plan.append((code, f"O-{code}-{rng.randrange(3)}"))  # 3 orders compete; each retried

    results: list[tuple[str, str, str, bool]] = []
    lock = threading.Lock()

    def attempt(item: tuple[str, str]) -> None:
        code, order_id = item
        with factory() as s:
            try:
                r = redemption.redeem(
                    s, code=code, order_id=order_id, basket=basket(owner[code]), now=NOW
                )
                s.commit()
                outcome = ("ok", code, order_id, r.replayed)
            except CouponError as exc:
                s.rollback()
                outcome = (exc.reason, code, order_id, False)
        with lock:
            results.append(outcome)

    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(attempt, plan))

    assert len(results) == attempts
    reasons = Counter(r[0] for r in results)
    assert set(reasons) <= {"ok", "already_used", "limit_reached"}, reasons
    winners: dict[str, set[str]] = defaultdict(set)
    fresh = Counter()
    for kind, code, order_id, replayed in results:
        if kind == "ok":
            winners[code].add(order_id)
            if not replayed:
                fresh[code] += 1
    # one winning order per coupon, applied once; retries of the winner only replay
    assert all(len(orders) == 1 for orders in winners.values())
    assert all(n == 1 for n in fresh.values())
    with factory() as s:
        ledger = dict(
            s.execute(
                select(CouponRedemption.coupon_id, func.count())
                .where(CouponRedemption.kind == "redeem")
                .group_by(CouponRedemption.coupon_id)
            ).all()
        )
        redeemed = s.scalar(select(func.count()).where(Coupon.status == "redeemed"))
        counter = s.scalar(select(CouponTemplate.redeemed_count))
        won = dict(
            s.execute(select(Coupon.code, Coupon.order_id).where(Coupon.status == "redeemed")).all()
        )
    assert max(ledger.values()) == 1  # zero double redemptions
    assert len(ledger) == redeemed == counter == len(winners) == limit  # zero over-redemptions
    assert won == {code: next(iter(orders)) for code, orders in winners.items()}
    engine.dispose()


@pytest.mark.postgres
@pytest.mark.slow
def test_ten_thousand_concurrent_redemptions_on_postgres(pg_server: object) -> None:
    url = pg_server.create_database("coupon_storm")  # type: ignore[attr-defined]
    _storm(url, coupons=1000, limit=300, attempts=10_000, threads=50)


def test_concurrent_redemptions_on_sqlite(tmp_path: Path) -> None:
    _storm(f"sqlite:///{tmp_path / 'storm.db'}", coupons=200, limit=60, attempts=1500, threads=8)
