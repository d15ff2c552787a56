"""Points ledger behaviour on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal as D

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from omniretail.cdp.profile.models import Customer
from omniretail.marketing.coupon.models import Coupon
from omniretail.marketing.loyalty import ledger, service
from omniretail.marketing.loyalty.errors import (
    InsufficientPoints,
    LoyaltyNotFound,
    PointsInvalid,
    RetryMismatch,
)
from omniretail.marketing.loyalty.models import PointsEntry
from omniretail.marketing.loyalty.schemas import TierCreate
from tests.marketing.coupon.factories import template

T0 = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
C = "C000000042"


def earn(s: Session, order: str, amount: str, at: datetime = T0, source: str = "pos", **kw):  # type: ignore[no-untyped-def]
    return service.earn(
        s,
        customer_id=kw.get("customer", C),
        source=source,
        order_id=order,
        amount=D(amount),
        occurred_at=at,
        now=kw.get("now", at),
    )


def ok(s: Session, customer: str = C) -> int:
    check = ledger.verify(s, ledger.get_account(s, customer))
    assert check["ok"], check
    return int(check["entries"])


def test_earn_once_per_source_and_order_even_when_synced_late(session: Session) -> None:
    first = earn(session, "POS-1", "88.80")
    assert (first.points, first.balance, first.replayed) == (88, 88, False)
    late = earn(session, "POS-1", "88.80", now=T0 + timedelta(days=9))  # offline sync, again
    assert late.replayed
    assert late.entry_id == first.entry_id
    assert late.balance == 88
    other_channel = earn(session, "POS-1", "10", source="tmall")  # another source's order 1
    assert other_channel.balance == 98
    with pytest.raises(RetryMismatch) as exc:
        earn(session, "POS-1", "99.00")
    assert exc.value.field == "amount"
    with pytest.raises(PointsInvalid):
        earn(session, "POS-2", "0")
    assert ok(session) == 98


def test_redeem_fifo_by_expiry_and_idempotent(session: Session) -> None:
    earn(session, "A", "100", at=T0)
    earn(session, "B", "50", at=T0 + timedelta(days=30))
    r = ledger.redeem_points(
        session, customer_id=C, points=120, ref="RDM-1", now=T0 + timedelta(days=31)
    )
    assert r.balance == 30
    again = ledger.redeem_points(session, customer_id=C, points=120, ref="RDM-1", now=T0)
    assert again.replayed
    assert again.balance == 30
    with pytest.raises(RetryMismatch):
        ledger.redeem_points(session, customer_id=C, points=5, ref="RDM-1", now=T0)
    account = ledger.get_account(session, C)
    left = ledger.buckets(session, account.id)
    assert [b.remaining for b in left] == [30]  # the older bucket was used up first
    with pytest.raises(InsufficientPoints) as exc:
        ledger.redeem_points(session, customer_id=C, points=31, ref="RDM-2", now=T0)
    assert exc.value.field == "points"
    assert ok(session) == 30


def test_expiry_takes_only_what_is_left_of_each_bucket(session: Session) -> None:
    earn(session, "A", "100", at=T0)
    earn(session, "B", "40", at=T0 + timedelta(days=200))
    ledger.redeem_points(session, customer_id=C, points=70, ref="R1", now=T0 + timedelta(days=201))
    day_366 = T0 + timedelta(days=366)
    assert service.expire_all(session, now=day_366) == {"accounts": 1, "points_expired": 30}
    assert service.expire_all(session, now=day_366) == {"accounts": 0, "points_expired": 0}
    assert ok(session) == 40
    # a redeem after the expiry date expires first, so expired points are never spent
    with pytest.raises(InsufficientPoints):
        ledger.redeem_points(
            session, customer_id=C, points=41, ref="R2", now=T0 + timedelta(days=600)
        )


def test_adjustments(session: Session) -> None:
    earn(session, "A", "10")
    assert (
        ledger.adjust_points(
            session, customer_id=C, points=25, ref="FIX-1", note="goodwill"
        ).balance
        == 35
    )
    assert ledger.adjust_points(
        session, customer_id=C, points=25, ref="FIX-1", note="goodwill"
    ).replayed
    with pytest.raises(InsufficientPoints):
        ledger.adjust_points(session, customer_id=C, points=-36, ref="FIX-2", note="too much")
    assert (
        ledger.adjust_points(session, customer_id=C, points=-35, ref="FIX-3", note="fix").balance
        == 0
    )
    with pytest.raises(PointsInvalid):
        ledger.adjust_points(session, customer_id=C, points=0, ref="FIX-4", note="nothing")
    assert ok(session) == 0


def test_partial_returns_reverse_proportionally_and_add_up(session: Session) -> None:
    earn(session, "ORD", "300")
    kw = {"customer_id": C, "source": "pos", "order_id": "ORD"}
    r1 = ledger.reverse_earn(session, **kw, return_id="RET-1", returned_amount=D("100"))
    assert (r1.points, r1.balance) == (-100, 200)
    assert ledger.reverse_earn(session, **kw, return_id="RET-1", returned_amount=D("100")).replayed
    r2 = ledger.reverse_earn(session, **kw, return_id="RET-2", returned_amount=D("199.99"))
    r3 = ledger.reverse_earn(session, **kw, return_id="RET-3", returned_amount=D("0.01"))
    assert r2.points + r3.points == -200  # the whole order returned: every point taken back
    assert r3.balance == 0
    with pytest.raises(PointsInvalid) as exc:
        ledger.reverse_earn(session, **kw, return_id="RET-4", returned_amount=D("1"))
    assert exc.value.field == "returned_amount"
    with pytest.raises(LoyaltyNotFound):
        ledger.reverse_earn(
            session,
            customer_id=C,
            source="pos",
            order_id="NOPE",
            return_id="X",
            returned_amount=D("1"),
        )
    assert ok(session) == 0


def test_reversal_of_spent_points_reports_shortfall_never_negative(session: Session) -> None:
    earn(session, "ORD", "100")
    ledger.redeem_points(session, customer_id=C, points=80, ref="SPEND", now=T0)
    r = ledger.reverse_earn(
        session,
        customer_id=C,
        source="pos",
        order_id="ORD",
        return_id="RET",
        returned_amount=D("100"),
        now=T0,
    )
    assert (r.points, r.shortfall, r.balance) == (-20, 80, 0)
    refund = ledger.refund_redemption(session, customer_id=C, ref="SPEND", return_id="RET", now=T0)
    assert refund.balance == 80
    with pytest.raises(RetryMismatch):
        ledger.refund_redemption(session, customer_id=C, ref="SPEND", return_id="RET-B", now=T0)
    assert ok(session) == 80


def _tiers(session: Session) -> None:
    template(
        session,
        "BDAY-GOLD",
        kind="amount_off",
        rules={"amount": "20"},
        valid_until=None,
        valid_from=None,
        valid_days=31,
    )
    service.create_tier(session, data=TierCreate(code="member", name="普通会员", rank=0))
    service.create_tier(
        session,
        data=TierCreate(
            code="gold",
            name="金卡会员",
            rank=1,
            min_points=1000,
            window_days=365,
            earn_multiplier=D("1.5"),
            birthday_multiplier=D("2"),
            birthday_coupon_template="BDAY-GOLD",
            benefits=["生日礼券", "1.5倍积分"],
        ),
    )


def test_tiers_go_up_at_once_and_down_at_review_after_a_full_window(session: Session) -> None:
    _tiers(session)
    assert earn(session, "A", "500").tier_code == "member"
    up = earn(session, "B", "600", at=T0 + timedelta(days=1))
    assert up.tier_code == "gold"
    # gold earns 1.5x from now on
    assert earn(session, "C", "100", at=T0 + timedelta(days=2)).points == 150
    later = T0 + timedelta(days=200)
    assert service.review_all_tiers(session, now=later)["down"] == 0
    much_later = T0 + timedelta(days=400)  # the window is empty and the tier was held a year
    counts = service.review_all_tiers(session, now=much_later)
    assert counts["down"] == 1
    assert ledger.get_account(session, C).tier_code == "member"
    with pytest.raises(PointsInvalid):
        service.create_tier(session, data=TierCreate(code="gold", name="x", rank=5))


def test_birthday_month_double_points_and_coupons(session: Session) -> None:
    _tiers(session)
    session.add(Customer(customer_id=C, birthday=date(1990, 3, 21)))
    session.add(Customer(customer_id="C2", birthday=date(1991, 7, 1)))
    session.flush()
    assert earn(session, "A", "100").points == 200  # March: birthday month, 2x
    earn(session, "BIG", "1000", at=T0 + timedelta(days=25))  # -> gold
    earn(session, "X", "2000", customer="C2", at=T0)
    assert earn(session, "APR", "100", at=T0 + timedelta(days=30)).points == 150  # 1.5x gold
    results = service.birthday_coupons(session, today=date(2026, 3, 1))
    assert [(r.issued, r.already_issued) for r in results] == [(1, 0)]
    again = service.birthday_coupons(session, today=date(2026, 3, 15))
    assert [(r.issued, r.already_issued) for r in again] == [(0, 1)]
    coupons = session.scalars(select(Coupon.customer_id)).all()
    assert coupons == [C]


def test_account_view_and_entries(session: Session) -> None:
    earn(session, "A", "12.5")
    view = service.account_view(session, customer_id=C, now=T0)
    assert view.verified
    assert view.balance == 12
    assert len(view.buckets) == 1
    entries = service.entries(session, customer_id=C)
    assert [e.kind for e in entries] == ["earn"]
    assert (
        session.scalar(select(PointsEntry.idempotency_key)) == "earn:pos:a"
    )  # normalised (platform.keys)
    with pytest.raises(LoyaltyNotFound):
        service.account_view(session, customer_id="NOBODY")
