"""Timed work of the coupon domain."""

from __future__ import annotations

from omniretail.marketing.coupon import service
from omniretail.platform.i18n import N_
from omniretail.platform.jobs import JobContext, job


@job("coupon.expire", every="10m", title=N_("Coupon expiry"))
def expire_coupons(ctx: JobContext) -> int:
    """Mark issued coupons past their end as expired."""
    return service.expire_due(ctx.session, now=ctx.now)
