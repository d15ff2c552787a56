"""Promotions then coupons on a basket, each discount explained; checkout commits exactly once."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal as D
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from omniretail.marketing.coupon import service as coupons
from omniretail.marketing.coupon.errors import CouponError
from omniretail.marketing.coupon.models import Coupon
from omniretail.marketing.promotion import pricing
from omniretail.marketing.promotion import service as promos
from omniretail.marketing.promotion.errors import PromotionInvalid
from omniretail.marketing.promotion.models import Promotion
from omniretail.marketing.promotion.schemas import PromotionCreate
from tests.marketing.coupon.factories import NOW, basket, template

C1 = "C000000001"


def promo(s: Session, code: str, kind: str, rules: dict[str, Any], **kw: Any) -> Promotion:
    data = {
        "code": code,
        "name": kw.pop("name", code),
        "kind": kind,
        "rules": rules,
        "starts_at": NOW - timedelta(hours=1),
        "ends_at": NOW + timedelta(days=3),
        **kw,
    }
    return promos.create_promotion(s, data=PromotionCreate(**data))


LINES = [
    ("MILK", 3, "20.00", "DAIRY"),
    ("BREAD", 1, "15.00", "BAKERY"),
    ("JAM", 1, "25.00", "PANTRY"),
]


def test_order_promotions_then_coupons_with_explanations(session: Session) -> None:
    promo(
        session,
        "FLASH-MILK",
        "flash_sale",
        {"sku": "MILK", "price": "9.90"},
        stock_cap=2,
        name="牛奶秒杀",
    )
    promo(
        session,
        "BREAKFAST",
        "bundle",
        {"items": [{"sku": "BREAD", "qty": 1}, {"sku": "JAM", "qty": 1}], "price": "32.00"},
        name="早餐组合",
    )
    template(
        session,
        "TEN-OFF",
        kind="amount_off",
        rules={"amount": "10"},
        min_spend=D("30"),
        name="立减10元",
        name_en="10 off",
    )
    template(
        session, "SHIP", kind="free_shipping", rules={}, name="包邮券", name_en="Free delivery"
    )
    c1 = coupons.issue(session, template_code="TEN-OFF", customer_id=C1, now=NOW).code
    c2 = coupons.issue(session, template_code="SHIP", customer_id=C1, now=NOW).code
    b = basket(lines=LINES, shipping="8")
    q = pricing.price_basket(session, basket=b, coupon_codes=[c2, c1], now=NOW)
    assert q.subtotal == D("100.00")
    kinds = [(d.source, d.kind, d.amount) for d in q.discounts]
    # 2 of 3 milk at 9.90 (stock cap 2), bundle 40 -> 32, then amount off, then delivery
    assert kinds == [
        ("promotion", "flash_sale", D("20.20")),
        ("promotion", "bundle", D("8.00")),
        ("coupon", "amount_off", D("10")),
        ("coupon", "free_shipping", D("0")),
    ]
    assert q.discounts[0].text_zh.startswith("牛奶秒杀（限时抢购）")
    assert "flash sale" in q.discounts[0].text_en
    assert q.discounts[3].text_en == "Free delivery: free delivery (¥8.00)"
    assert q.shipping_off == D("8.00")
    assert q.discount_total == D("38.20")
    assert q.payable == D("61.80")
    assert sum(ln.payable for ln in q.lines) == q.subtotal - q.discount_total
    assert q.rejected_coupons == []


def test_holiday_theme_and_coupon_that_does_not_stack(session: Session) -> None:
    promo(
        session,
        "MID-AUTUMN",
        "holiday",
        {"theme": "中秋", "percent": "10"},
        scope={"include": {"categories": ["BAKERY"]}},
        name="中秋月饼节",
    )
    template(
        session,
        "NOSTACK",
        kind="percent_off",
        rules={"percent": "50"},
        stack_with_promotions=False,
        scope={"include": {"categories": ["BAKERY"]}},
    )
    code = coupons.issue(session, template_code="NOSTACK", customer_id=C1, now=NOW).code
    q = pricing.price_basket(session, basket=basket(lines=LINES), coupon_codes=[code], now=NOW)
    assert [d.code for d in q.discounts] == ["MID-AUTUMN"]
    assert q.discounts[0].amount == D("1.50")
    assert "中秋" in q.discounts[0].text_zh
    assert [(r.code, r.reason) for r in q.rejected_coupons] == [(code, "not_stackable")]


def test_exclusive_and_stack_groups(session: Session) -> None:
    template(session, "EXCL", kind="amount_off", rules={"amount": "5"}, exclusive=True)
    template(session, "G1A", kind="amount_off", rules={"amount": "3"}, stack_group="shop")
    template(session, "G1B", kind="amount_off", rules={"amount": "4"}, stack_group="shop")
    codes = {
        t: coupons.issue(session, template_code=t, customer_id=C1, now=NOW).code
        for t in ("EXCL", "G1A", "G1B")
    }
    b = basket(lines=LINES)
    q = pricing.price_basket(session, basket=b, coupon_codes=[codes["G1A"], codes["G1B"]], now=NOW)
    assert [d.amount for d in q.discounts] == [D("3")]
    assert q.rejected_coupons[0].reason == "not_stackable"
    q = pricing.price_basket(session, basket=b, coupon_codes=list(codes.values()), now=NOW)
    assert len(q.discounts) == 1
    assert {r.reason for r in q.rejected_coupons} == {"not_stackable"}


def test_rejected_coupons_say_why(session: Session) -> None:
    template(session, "OTHER", kind="amount_off", rules={"amount": "5"})
    code = coupons.issue(session, template_code="OTHER", customer_id="C999", now=NOW).code
    q = pricing.price_basket(
        session, basket=basket(lines=LINES), coupon_codes=[code, "NOT-A-CODE"], now=NOW
    )
    assert sorted((r.reason, r.detail_zh) for r in q.rejected_coupons) == [
        ("malformed_code", "券码格式或校验位错误"),
        ("not_owner", "该券不属于此会员"),
    ]
    assert q.payable == q.subtotal


def test_checkout_allocates_stock_redeems_coupons_and_is_idempotent(session: Session) -> None:
    promo(session, "FLASH", "flash_sale", {"sku": "MILK", "price": "9.90"}, stock_cap=5)
    template(session, "PCT", kind="percent_off", rules={"percent": "10"})
    code = coupons.issue(session, template_code="PCT", customer_id=C1, now=NOW).code
    b = basket(lines=LINES)
    first = pricing.checkout(session, basket=b, order_id="ORD-1", coupon_codes=[code], now=NOW)
    assert promos.get_promotion(session, code="FLASH").stock_sold == 3
    # 10% of what is left after the flash price: (29.70 + 15 + 25) * 10% = 6.97
    assert first.discounts[-1].amount == D("6.97")
    assert session.scalar(select(Coupon.status).where(Coupon.code == code)) == "redeemed"
    again = pricing.checkout(session, basket=b, order_id="ORD-1", coupon_codes=[code], now=NOW)
    assert promos.get_promotion(session, code="FLASH").stock_sold == 3
    assert again.discounts[-1].amount == D("6.97")
    with pytest.raises(CouponError):
        pricing.checkout(session, basket=b, order_id="ORD-2", coupon_codes=[code], now=NOW)


def test_bad_promotions_are_named(session: Session) -> None:
    with pytest.raises(PromotionInvalid, match="stock_cap"):
        promo(session, "NOSTOCK", "flash_sale", {"sku": "MILK", "price": "1"})
    with pytest.raises(PromotionInvalid, match="group_size"):
        promo(
            session,
            "TEAM",
            "team_buy",
            {"sku": "MILK", "price": "1", "group_size": 1, "time_limit_minutes": 10},
        )
    with pytest.raises(PromotionInvalid, match="percent or rules.tiers"):
        promo(session, "HOL", "holiday", {"theme": "春节"})
    with pytest.raises(ValueError, match="ends_at"):
        PromotionCreate(code="X1", name="x", kind="holiday", rules={}, starts_at=NOW, ends_at=NOW)
