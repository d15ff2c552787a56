"""Timed work of crisis alerts: scan the count cube every hour."""

from __future__ import annotations

from omniretail.care.alerts import service
from omniretail.platform.i18n import N_
from omniretail.platform.jobs import JobContext, job


@job("care.alerts.scan", every="1h", title=N_("Crisis alert scan"))
def scan_for_crises(ctx: JobContext) -> int | None:
    return len(service.scan(ctx.session, now=ctx.now))
