"""Timed work of the service desk: SLA breach warnings and escalation."""

from __future__ import annotations

from omniretail.care.desk import service
from omniretail.platform.i18n import N_
from omniretail.platform.jobs import JobContext, job


@job("care.desk.sla_watch", every="10m", title=N_("Ticket SLA warnings and escalation"))
def watch_sla(ctx: JobContext) -> int | None:
    result = service.watch_sla(ctx.session, now=ctx.now)
    return result["warned"] + result["escalated"]
