"""Timed work of the shopping guides: transfers taken over after 24 h, relationships that
expire, and the day's clerk tasks (after the nightly pipeline has published)."""

from __future__ import annotations

from omniretail.operations.guide import service, tasks
from omniretail.platform.engine.snapshot import open_published
from omniretail.platform.i18n import N_
from omniretail.platform.jobs import JobContext, job
from omniretail.platform.timezone import to_wall_clock


@job("guide.takeover", every="10m", title=N_("Clerk transfers taken over after 24 hours"))
def takeover(ctx: JobContext) -> int:
    return service.complete_due_transfers(ctx.session, now=ctx.now)


@job("guide.expire", every="1h", title=N_("Clerk relationships past their validity"))
def expire(ctx: JobContext) -> int:
    return service.expire_due(ctx.session, now=ctx.now)


@job("guide.tasks", every="0 7 * * *", title=N_("Clerk task lists for the day"))
def daily_tasks(ctx: JobContext) -> int:
    engine = open_published()
    if engine is None:
        return 0
    try:
        day = to_wall_clock(ctx.now).date()
        return tasks.generate_tasks(ctx.session, engine, day=day, now=ctx.now).tasks
    finally:
        engine.close()
