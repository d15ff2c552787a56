"""Timed work of messaging: send due messages from the outbox."""

from __future__ import annotations

import time

from omniretail.platform.i18n import N_
from omniretail.platform.jobs import JobContext, job
from omniretail.platform.messaging import service

BATCH = 500
BUDGET_S = 300.0  # then leave the rest to the next tick (other jobs wait behind this one)


@job("messaging.dispatch", every="1m", title=N_("Message dispatch"))
def dispatch(ctx: JobContext) -> int:
    """Send due messages through the channel adapters (after commit, with retries)."""
    sent = 0
    t0 = time.monotonic()
    while time.monotonic() - t0 < BUDGET_S:
        r = service.dispatch(ctx.factory, limit=BATCH, now=ctx.now)
        sent += r.sent
        if r.claimed < BATCH:
            break
    return sent
