"""``omniretail campaign``: create, check, launch, dispatch, report; the A/A test."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer
import yaml

NAME = "campaign"
app = typer.Typer(help="Campaigns and journeys (营销活动).", no_args_is_help=True)


def _echo(data: Any) -> None:
    from pydantic import BaseModel

    if isinstance(data, BaseModel):  # typed results: the JSON the API returns
        data = data.model_dump(mode="json", exclude_unset=True)
    elif isinstance(data, list):
        data = [
            d.model_dump(mode="json", exclude_unset=True) if isinstance(d, BaseModel) else d
            for d in data
        ]
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


@app.command("create")
def create(
    file: Path = typer.Option(..., "--file", exists=True, help="Campaign as JSON or YAML."),
) -> None:
    """Create a campaign (draft) from a JSON/YAML file."""
    from omniretail.marketing.campaign import service
    from omniretail.marketing.campaign.schemas import CampaignCreate, CampaignRead
    from omniretail.platform.db import session_scope

    data = CampaignCreate.model_validate(yaml.safe_load(file.read_text(encoding="utf-8")))
    with session_scope() as s:
        c = service.create_campaign(s, data=data, actor="cli")
        _echo(CampaignRead.model_validate(c).model_dump(mode="json"))


@app.command("list")
def list_cmd() -> None:
    from omniretail.marketing.campaign import service
    from omniretail.platform.db import session_scope

    with session_scope() as s:
        _echo(
            [
                {"code": c.code, "name": c.name, "status": c.status, "goal": c.goal}
                for c in service.list_campaigns(s)
            ]
        )


@app.command("risks")
def risks(code: str) -> None:
    """Check audience size, consent coverage and coupon liability before launch."""
    from omniretail.marketing.campaign import service
    from omniretail.platform.db import session_scope
    from omniretail.platform.engine.snapshot import run_on_published

    with session_scope() as s:
        _echo(run_on_published(lambda eng: service.assess_risks(s, eng, code=code)))


@app.command("launch")
def launch(code: str) -> None:
    """Snapshot the audience, split the holdout, issue coupons and queue the messages (a
    journey: run today's step on its trigger)."""
    from omniretail.marketing.campaign.journeys import launch as start
    from omniretail.platform.db import session_scope
    from omniretail.platform.engine.snapshot import run_on_published

    with session_scope() as s:
        _echo(run_on_published(lambda eng: start(s, eng, code=code, actor="cli")))


@app.command("dispatch")
def dispatch(limit: int = typer.Option(1000, help="Messages to send in this run.")) -> None:
    """Send due messages from the outbox through the channel adapters."""
    from omniretail.platform.db import session_factory
    from omniretail.platform.messaging import service

    r = service.dispatch(session_factory(), limit=limit)
    _echo(
        {
            "claimed": r.claimed,
            "sent": r.sent,
            "retried": r.retried,
            "failed": r.failed,
            "by_channel": r.by_channel,
        }
    )


@app.command("report")
def report(code: str) -> None:
    """Reach, engagement, coupons and the incremental effect versus the holdout (JSON)."""
    from omniretail.cli._operator import allowed
    from omniretail.marketing.campaign.report import campaign_report
    from omniretail.platform.auth.scope import store_scope
    from omniretail.platform.db import session_scope
    from omniretail.platform.engine.snapshot import run_on_published

    with session_scope() as s:
        scope = store_scope(allowed(s, "read"))  # a store user: their stores' members
        _echo(run_on_published(lambda eng: campaign_report(s, eng, code=code, scope=scope)))


@app.command("aa-test")
def aa_test(
    campaigns: int = typer.Option(1000, help="Simulated campaigns with no true effect."),
    audience: int = typer.Option(5000, help="Members per campaign."),
    holdout: float = typer.Option(0.10, help="Holdout share."),
    seed: int = typer.Option(7),
    base_rate: float = typer.Option(
        None,
        "--base-rate",
        help="Conversion probability of the simulated members (e.g. 0.003); "
        "default: the demo world's gamma-Poisson purchase model (~12%).",
    ),
    revenue: str = typer.Option(
        "lognormal", help="Buyers' spend distribution with --base-rate: lognormal, gamma, pareto."
    ),
    revenue_mean: float = typer.Option(100.0, help="Mean spend of a buyer."),
    revenue_shape: float = typer.Option(
        1.0, help="Tail: lognormal σ of the log, gamma shape k, or Pareto α (> 1)."
    ),
) -> None:
    """A/A test: share of no-effect campaigns the report flags as significant (expect ~5%).

    share_flagged / share_flagged_revenue count the campaigns that reached a verdict; those
    whose arms were too small are reported as share_inconclusive ("not enough data")."""
    from omniretail.marketing.campaign.stats import aa_test as run

    if revenue not in ("lognormal", "gamma", "pareto"):
        raise typer.BadParameter(
            "revenue must be lognormal, gamma or pareto", param_hint="--revenue"
        )
    try:
        out = run(
            campaigns=campaigns,
            audience=audience,
            holdout_share=holdout,
            seed=seed,
            base_rate=base_rate,
            revenue=revenue,  # type: ignore[arg-type]
            revenue_mean=revenue_mean,
            revenue_shape=revenue_shape,
        )
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc
    _echo(out)


def _state_change(verb: str, code: str) -> None:
    from omniretail.marketing.campaign import service
    from omniretail.marketing.campaign.schemas import CampaignRead
    from omniretail.platform.db import session_scope

    fn = {
        "pause": service.pause_campaign,
        "resume": service.resume_campaign,
        "cancel": service.cancel_campaign,
    }[verb]
    with session_scope() as s:
        _echo(CampaignRead.model_validate(fn(s, code=code, actor="cli")).model_dump(mode="json"))


@app.command("pause")
def pause(code: str) -> None:
    """Stop a scheduled, recurring or journey campaign from starting new runs."""
    _state_change("pause", code)


@app.command("resume")
def resume(code: str) -> None:
    """Resume a paused campaign (its next due run starts at the next run-due)."""
    _state_change("resume", code)


@app.command("cancel")
def cancel(code: str) -> None:
    """End a campaign: no further runs; queued, unsent messages are withdrawn."""
    _state_change("cancel", code)


@app.command("run-due")
def run_due(
    at: str = typer.Option(None, help="Run as of this time (ISO 8601; default now)."),
) -> None:
    """Launch every scheduled or recurring campaign whose run is due, then today's journeys.

    Idempotent: call it from cron as often as you like (e.g. every 15 minutes)."""
    from datetime import datetime

    from omniretail.marketing.campaign.schedule import run_due as tick
    from omniretail.marketing.campaign.schemas import SCHEDULE_TZ
    from omniretail.platform.db import session_factory

    now = None
    if at:
        try:
            now = datetime.fromisoformat(at)
        except ValueError as exc:
            raise typer.BadParameter(f"not an ISO 8601 time: {at!r}", param_hint="--at") from exc
        now = now if now.tzinfo else now.replace(tzinfo=SCHEDULE_TZ)
    t = tick(session_factory(), now=now)
    _echo({"campaigns": t.campaigns, "journeys": t.journeys})


@app.command("run-journeys")
def run_journeys(day: str = typer.Option(None, help="Run as of this day (YYYY-MM-DD).")) -> None:
    """Run today's step of every running or draft journey (schedule this daily)."""
    from datetime import date

    from omniretail.marketing.campaign.journeys import run_due_journeys
    from omniretail.platform.db import session_scope
    from omniretail.platform.engine.snapshot import run_on_published

    today = date.fromisoformat(day) if day else None
    with session_scope() as s:
        results = run_on_published(lambda eng: run_due_journeys(s, eng, today=today))
    _echo(results)
