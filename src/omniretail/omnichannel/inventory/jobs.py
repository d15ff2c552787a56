"""Timed work of the stock domain."""

from __future__ import annotations

from omniretail.omnichannel.inventory import service
from omniretail.platform.i18n import N_
from omniretail.platform.jobs import JobContext, job


@job("inventory.expire_holds", every="1m", title=N_("Stock hold expiry"))
def expire_holds(ctx: JobContext) -> int:
    """Release checkout, pickup and group-buy holds whose time is up (idempotent)."""
    return service.expire_due(ctx.session, now=ctx.now)
