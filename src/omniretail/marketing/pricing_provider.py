"""Marketing's pricing for the retail core's checkout: promotions and coupons.

Registered as the default provider ``marketing`` of :mod:`omniretail.omnichannel.order.pricing`
(found by its module name), so an order created through ``omnichannel.order`` is priced with
every applicable promotion and the customer's coupons — without the retail core importing
marketing. ``commit`` is :func:`omniretail.marketing.promotion.pricing.checkout`: flash-sale
units are allocated and coupons redeemed, both idempotent by the order reference.
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy.orm import Session

from omniretail.marketing.coupon.errors import CouponError
from omniretail.marketing.promotion import pricing
from omniretail.marketing.promotion.schemas import Quote
from omniretail.omnichannel.order.basket import Basket
from omniretail.omnichannel.order.pricing import AppliedDiscount, PricingResult, register_pricing
from omniretail.platform.errors import InvalidInput


def _fen(x: Decimal) -> int:
    return int((x * 100).to_integral_value())


def _result(quote: Quote) -> PricingResult:
    return PricingResult(
        discounts=[
            AppliedDiscount(
                source=d.source,
                code=d.code,
                kind=d.kind,
                amount_fen=_fen(d.amount),
                shipping_off_fen=_fen(d.shipping_off),
                text_zh=d.text_zh,
                text_en=d.text_en,
            )
            for d in quote.discounts
        ],
        line_discount_fen=[_fen(ln.discount) for ln in quote.lines],
        shipping_off_fen=_fen(quote.shipping_off),
        rejected_coupons={r.code: r.detail_zh for r in quote.rejected_coupons},
    )


class MarketingPricing:
    name = "marketing"

    def quote(self, session: Session, *, basket: Basket, coupon_codes: list[str]) -> PricingResult:
        return _result(pricing.price_basket(session, basket=basket, coupon_codes=coupon_codes))

    def commit(
        self, session: Session, *, basket: Basket, coupon_codes: list[str], order_ref: str
    ) -> PricingResult:
        # a coupon that cannot be used is refused naming it (checkout itself would only raise)
        preview = pricing.price_basket(session, basket=basket, coupon_codes=coupon_codes)
        if preview.rejected_coupons:
            r = preview.rejected_coupons[0]
            i = coupon_codes.index(r.code) if r.code in coupon_codes else 0
            raise InvalidInput(
                f"优惠券 {r.code} 不能使用：{r.detail_zh} (coupon {r.code}: {r.detail})",
                field=f"coupon_codes[{i}]",
                reason=r.reason,
            )
        try:
            quote = pricing.checkout(
                session, basket=basket, order_id=order_ref, coupon_codes=coupon_codes
            )
        except CouponError as exc:  # changed since the preview (a concurrent redemption)
            exc.field = "coupon_codes"
            raise
        return _result(quote)


register_pricing(MarketingPricing(), default=True)
