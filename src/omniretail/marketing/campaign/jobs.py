"""Timed work of campaigns: scheduled and recurring runs, and each day's journey step."""

from __future__ import annotations

from omniretail.marketing.campaign.schedule import run_due
from omniretail.platform.i18n import N_
from omniretail.platform.jobs import JobContext, job


@job("campaign.run_due", every="15m", title=N_("Scheduled campaigns and journeys"))
def run_due_campaigns(ctx: JobContext) -> int:
    """Launch every scheduled or recurring campaign whose run is due, then today's journeys."""
    tick = run_due(ctx.factory, now=ctx.now)
    tick.raise_failures()
    return len(tick.launched)
