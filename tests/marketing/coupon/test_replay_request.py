"""Finding 4 of the security review: a coupon redemption's idempotency key is normalised, and a
replay compares the whole request (customer and basket), not only the order id."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from omniretail.marketing.coupon import redemption, service
from omniretail.marketing.coupon.basket import Basket, BasketLine
from omniretail.marketing.coupon.errors import CouponConflict
from omniretail.marketing.coupon.models import CouponRedemption
from tests.marketing.coupon.factories import NOW, basket, template

C1 = "C000000001"


def test_key_spelling_replays_and_a_different_request_is_409(session: Session) -> None:
    template(session, "REPLAY", redeem_limit=10)
    code = service.issue(session, template_code="REPLAY", customer_id=C1, now=NOW).code
    first = redemption.redeem(session, code=code, order_id="Ord-1", basket=basket(), now=NOW)
    assert not first.replayed
    for order_id in ("ORD-1", " ord-1", "Ｏｒｄ-1"):
        again = redemption.redeem(session, code=code, order_id=order_id, basket=basket(), now=NOW)
        assert again.replayed, order_id
    # the same order id with another basket or another customer is not a retry
    other = basket()
    bigger = Basket(
        **{
            **other.model_dump(),
            "lines": [BasketLine(sku=ln.sku, quantity=ln.quantity + 1, unit_price=ln.unit_price)
                      for ln in other.lines],
        }
    )  # fmt: skip
    with pytest.raises(CouponConflict) as exc:
        redemption.redeem(session, code=code, order_id="Ord-1", basket=bigger, now=NOW)
    assert exc.value.reason == "duplicate_request"
    assert exc.value.status == 409
    stranger = Basket(**{**other.model_dump(), "customer_id": "C000000002"})
    with pytest.raises(CouponConflict) as exc:
        redemption.redeem(session, code=code, order_id="Ord-1", basket=stranger, now=NOW)
    assert exc.value.reason == "duplicate_request"
    # reversal keys too
    redemption.reverse(session, code=code, return_id="Ret-1", now=NOW)
    assert redemption.reverse(session, code=code, return_id=" RET-1", now=NOW).replayed
    kinds = session.scalar(select(func.count()).select_from(CouponRedemption))
    assert kinds == 2
    assert first.discount == D("10.00")
