"""Timed work of fulfilment: uncollected pickups, pickup reminders, delivery tracking."""

from __future__ import annotations

from omniretail.omnichannel.fulfillment import delivery, service
from omniretail.platform.i18n import N_
from omniretail.platform.jobs import JobContext, job


@job("fulfilment.expire_uncollected", every="10m", title=N_("Uncollected pickups"))
def expire_uncollected(ctx: JobContext) -> int:
    """Cancel pickups not collected within their hold and release their stock (once)."""
    return service.expire_uncollected(ctx.session, now=ctx.now)


@job("fulfilment.remind_pickup", every="1h", title=N_("Pickup reminders"))
def remind_pickup(ctx: JobContext) -> int:
    """Remind customers whose pickup hold ends within a day (one reminder per pickup)."""
    return service.remind_pickups(ctx.session, now=ctx.now)


@job("fulfilment.track_deliveries", every="1m", title=N_("Delivery tracking"))
def track_deliveries(ctx: JobContext) -> int | None:
    """Poll the delivery provider for open deliveries and follow their states."""
    if not delivery.configured():
        return None
    return delivery.track(ctx.session, now=ctx.now)
