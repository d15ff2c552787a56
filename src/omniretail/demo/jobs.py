"""Timed work of a demo instance: launched campaigns' members respond as the demo world says,
so the demo's loop (launch → send → respond → pipeline) needs no command line and no cron:
an administrator runs this job (and message dispatch) from the 任务 page."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from omniretail.demo import respond
from omniretail.marketing.campaign.models import Campaign
from omniretail.platform.config import get_settings
from omniretail.platform.engine.base import AnalyticsEngine
from omniretail.platform.engine.snapshot import run_on_published
from omniretail.platform.errors import DomainError
from omniretail.platform.i18n import N_
from omniretail.platform.jobs import JobContext, job
from omniretail.platform.messaging import service as messaging


def ready_campaigns(ctx: JobContext) -> list[str]:
    """Launched campaigns not responded to yet whose messages have all left the outbox
    (sent, failed or suppressed: nothing queued) and reached someone."""
    s = ctx.session
    out = []
    rows = s.execute(
        select(Campaign.id, Campaign.code).where(
            Campaign.launched_at.is_not(None), Campaign.kind == "once"
        )
    )
    for cid, code in rows:
        if respond.responded(s, code) is not None:
            continue
        counts = messaging.status_counts(s, campaign_id=cid)
        if counts.get("queued") or counts.get("sending"):
            continue
        if counts and not (counts.get("sent") or counts.get("delivered")):
            continue
        out.append(str(code))
    return out


@job("demo.respond", every="10m", title=N_("Demo: campaign responses"))
def respond_to_campaigns(ctx: JobContext) -> int:
    """In a demo instance, play every sent campaign's response (orders and coupon use of its
    members over its attribution window, from the world's ground truth); run the pipeline
    afterwards to see the effect. Does nothing outside a demo instance."""
    if not get_settings().demo:
        return 0
    done = 0
    for code in ready_campaigns(ctx):
        try:  # each campaign in its own transaction: a refused one is rolled back alone
            with ctx.factory() as s, s.begin():
                _respond(s, code, actor=f"job:{ctx.name or 'demo.respond'}")
        except DomainError as exc:  # not from the demo world, no members …: skipped
            ctx.log(f"{code}: {exc.detail}")
            continue
        done += 1
    return done


def _respond(session: Session, code: str, *, actor: str) -> None:
    def work(engine: AnalyticsEngine) -> None:
        respond.respond_to_campaign(session, engine, code=code, actor=actor)

    run_on_published(work)
