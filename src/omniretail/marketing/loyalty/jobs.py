"""Timed work of the loyalty domain: points expiry, tier review, birthday coupons."""

from __future__ import annotations

from omniretail.marketing.loyalty import service
from omniretail.platform.i18n import N_
from omniretail.platform.jobs import JobContext, job
from omniretail.platform.jobs.schedule import CRON_TZ


@job("loyalty.points_expire", every="1h", title=N_("Points expiry"))
def expire_points(ctx: JobContext) -> int:
    """Expire points buckets that reached their date (FIFO, one ledger entry per bucket)."""
    return service.expire_all(ctx.session, now=ctx.now)["points_expired"]


@job("loyalty.tier_review", every="30 2 * * *", title=N_("Tier review"))
def review_tiers(ctx: JobContext) -> int:
    """Upgrade or downgrade every member by the rolling qualification window (nightly)."""
    counts = service.review_all_tiers(ctx.session, now=ctx.now)
    return counts["up"] + counts["down"]


@job("loyalty.birthday_coupons", every="0 8 * * *", title=N_("Birthday coupons"))
def birthday_coupons(ctx: JobContext) -> int:
    """Issue each tier's birthday coupon to members born this month (once a year each)."""
    today = ctx.now.astimezone(CRON_TZ).date()
    return sum(r.issued for r in service.birthday_coupons(ctx.session, today=today))
