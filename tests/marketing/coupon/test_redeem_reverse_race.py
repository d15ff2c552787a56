"""Finding 5 of the security review: redemptions, reversals and their retries racing on one
coupon on PostgreSQL. A request whose first attempt already won gets its stored answer, another
request a 409 conflict — never an unhandled database error (``UniqueViolation`` on the ledger's
idempotency key answered 500)."""

from __future__ import annotations

import random
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import sessionmaker

from omniretail.marketing.coupon import redemption, service
from omniretail.marketing.coupon.errors import CouponConflict
from omniretail.marketing.coupon.models import Coupon, CouponRedemption, CouponTemplate
from omniretail.platform import migrate
from omniretail.platform.db import make_engine
from tests.marketing.coupon.factories import NOW, basket, template


@pytest.mark.postgres
@pytest.mark.slow
def test_redeem_reverse_and_retries_race_without_a_server_error(pg_server: object) -> None:
    url = pg_server.create_database("coupon_redeem_reverse_race")  # type: ignore[attr-defined]
    migrate.upgrade(url)
    engine = make_engine(url, pool_size=16, max_overflow=4)
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    with factory() as s:
        template(s, "RACE")
        customers = [f"C{i:09d}" for i in range(6)]
        service.issue_batch(s, campaign_id="race", customer_ids=customers, template="RACE", now=NOW)
        s.commit()
        owner = dict(s.execute(select(Coupon.code, Coupon.customer_id)).all())
    rng = random.Random(13)
    plan: list[tuple[str, str, str]] = []
    for _ in range(600):
        code = rng.choice(sorted(owner))
        if rng.random() < 0.55:
            plan.append(("redeem", code, f"O-{rng.randrange(3)}"))
        else:
            plan.append(("reverse", code, f"R-{rng.randrange(3)}"))
    outcomes: Counter[str] = Counter()
    unexpected: list[BaseException] = []
    lock = threading.Lock()

    def attempt(item: tuple[str, str, str]) -> None:
        kind, code, ref = item
        with factory() as s:
            try:
                if kind == "redeem":
                    r = redemption.redeem(
                        s, code=code, order_id=ref, basket=basket(owner[code]), now=NOW
                    )
                else:
                    r = redemption.reverse(s, code=code, return_id=ref, now=NOW)
                s.commit()
                out = f"{kind}:{'replay' if r.replayed else 'ok'}"
            except CouponConflict as exc:
                s.rollback()
                out = f"{kind}:409:{exc.reason}"
            except BaseException as exc:  # noqa: BLE001 - the test reports any other error
                s.rollback()
                with lock:
                    unexpected.append(exc)
                out = f"{kind}:500"
        with lock:
            outcomes[out] += 1

    with ThreadPoolExecutor(16) as pool:
        list(pool.map(attempt, plan))
    assert not unexpected, (outcomes, unexpected[:3])
    assert outcomes["redeem:ok"] > 0, outcomes
    assert outcomes["reverse:ok"] > 0, outcomes
    with factory() as s:
        by_coupon = select(CouponRedemption.coupon_id, func.count())
        net = dict(s.execute(by_coupon.group_by(CouponRedemption.coupon_id)).all())
        redeemed = s.scalar(select(func.count()).where(Coupon.status == "redeemed"))
        counter = s.scalar(select(CouponTemplate.redeemed_count))
        per_kind = Counter(s.scalars(select(CouponRedemption.kind)).all())
    assert counter == redeemed == per_kind["redeem"] - per_kind["reverse"]
    assert sum(net.values()) == per_kind["redeem"] + per_kind["reverse"]
    engine.dispose()
