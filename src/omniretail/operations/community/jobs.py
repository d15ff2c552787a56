"""Timed work of the communities: decide referral invites after 24 hours, flag quiet groups."""

from __future__ import annotations

from omniretail.operations.community import referral, service
from omniretail.platform.i18n import N_
from omniretail.platform.jobs import JobContext, job


@job("community.settle_invites", every="10m", title=N_("Referral invites: abuse check and rewards"))
def settle_invites(ctx: JobContext) -> int | None:
    return referral.settle(ctx.session, now=ctx.now)


@job("community.quiet_groups", every="1h", title=N_("Quiet community groups"))
def quiet_groups(ctx: JobContext) -> int | None:
    return service.mark_quiet(ctx.session, now=ctx.now)
