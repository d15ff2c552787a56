"""Timed jobs: each domain declares its timed work in ``<domain>/jobs.py``::

    from omniretail.platform.i18n import N_
    from omniretail.platform.jobs import JobContext, job

    @job("coupon.expire", every="10m", title=N_("Coupon expiry"))
    def expire_coupons(ctx: JobContext) -> int | None:
        return coupon_service.expire_due(ctx.session, now=ctx.now)

``omniretail jobs run-due`` (from cron, on one host or several) runs each due job once; see
:mod:`omniretail.platform.jobs.runner`.
"""

from omniretail.platform.jobs.registry import Job, JobContext, discover, job

__all__ = ["Job", "JobContext", "discover", "job"]
