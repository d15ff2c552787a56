"""Marketing's return hook for omnichannel returns: the points a returned sale earned are taken
back through the points ledger (in proportion to the refund, once per return), and coupons used
on the order are reversed through the coupon ledger (restored per their rules) once the whole
order has come back. Omnichannel calls it without importing marketing."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from omniretail.marketing.coupon import redemption
from omniretail.marketing.coupon.models import Coupon, CouponRedemption
from omniretail.marketing.loyalty import ledger
from omniretail.marketing.loyalty.errors import LoyaltyNotFound
from omniretail.omnichannel.fulfillment.hooks import ReturnContext, register_return_hook


class MarketingReturnHook:
    name = "marketing"

    def __call__(self, session: Session, ctx: ReturnContext) -> dict[str, Any]:
        out: dict[str, Any] = {"points_reversed": 0, "points_shortfall": 0, "coupons_reversed": []}
        if not ctx.customer_id:
            return out
        try:
            r = ledger.reverse_earn(
                session,
                customer_id=ctx.customer_id,
                source=ctx.bought_channel,
                order_id=ctx.order_ref,
                return_id=ctx.return_key,
                returned_amount=Decimal(ctx.refund_fen) / 100,
            )
            out["points_reversed"], out["points_shortfall"] = -r.points, r.shortfall
        except LoyaltyNotFound:
            pass  # the order earned no points (not a member then, or an unsynced channel)
        if ctx.fully_returned:
            used = (
                session.execute(
                    select(Coupon.code)
                    .join(CouponRedemption, CouponRedemption.coupon_id == Coupon.id)
                    .where(
                        CouponRedemption.order_id == ctx.order_ref,
                        CouponRedemption.kind == "redeem",
                        Coupon.status == "redeemed",
                        Coupon.customer_id == ctx.customer_id,
                    )
                    .distinct()
                )
                .scalars()
                .all()
            )
            for code in used:
                redemption.reverse(session, code=code, return_id=ctx.return_key)
                out["coupons_reversed"].append(code)
        return out


register_return_hook(MarketingReturnHook())
