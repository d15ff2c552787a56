"""Timed work of group-buying: decide activities at their cut-off, record no-shows, release
commission after the after-sales window."""

from __future__ import annotations

from omniretail.operations.groupbuy import settle
from omniretail.platform.i18n import N_
from omniretail.platform.jobs import JobContext, job


@job("groupbuy.cutoff", every="1m", title=N_("Group-buy cut-off: form or cancel and refund"))
def cutoff(ctx: JobContext) -> int | None:
    return settle.decide_due(ctx.session, now=ctx.now)


@job("groupbuy.no_shows", every="10m", title=N_("Group-buy no-shows"))
def no_shows(ctx: JobContext) -> int | None:
    return settle.record_no_shows(ctx.session, now=ctx.now)


@job("groupbuy.commission_release", every="1h", title=N_("Group-buy commission release"))
def commission_release(ctx: JobContext) -> int | None:
    return settle.release_due(ctx.session, now=ctx.now)
