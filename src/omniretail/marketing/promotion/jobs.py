"""Timed work of promotions: team-buys still forming at their deadline fail."""

from __future__ import annotations

from omniretail.marketing.promotion import service
from omniretail.platform.i18n import N_
from omniretail.platform.jobs import JobContext, job


@job("promotion.team_buy_close", every="1m", title=N_("Team-buy close"))
def close_expired_teams(ctx: JobContext) -> int:
    """Teams still forming at their deadline fail; their members become refund-due."""
    return service.close_expired_teams(ctx.session, now=ctx.now)["teams_failed"]
