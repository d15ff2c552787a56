"""``omniretail demo-respond``: in a demo instance, a launched campaign's members respond as the
demo world's ground truth says (orders through the bulk import, coupons through redeem)."""

from __future__ import annotations

import json
from pathlib import Path

import typer


def demo_respond(
    campaign: str = typer.Option(..., "--campaign", help="Code of a launched campaign."),
    days: int | None = typer.Option(
        None, "--days", help="Days after the launch to play (default: the attribution window)."
    ),
    seed: int = typer.Option(0, "--seed", help="Random seed of the response draw."),
    world: Path | None = typer.Option(
        None, "--world", help="Demo world folder (default $OMNIRETAIL_HOME/demo-world)."
    ),
) -> None:
    """Play a campaign's response in the demo (演示：模拟活动响应); then run the pipeline."""
    from omniretail.cli._operator import admin_job
    from omniretail.demo.respond import respond_to_campaign
    from omniretail.platform.db import session_scope
    from omniretail.platform.engine.snapshot import run_on_published

    with session_scope() as s:
        admin_job("demo-respond", s)  # writes every store's demo responses
        out = run_on_published(
            lambda eng: respond_to_campaign(
                s, eng, code=campaign, days=days, seed=seed, world=world, actor="cli"
            )
        )
    typer.echo(json.dumps(out, ensure_ascii=False, default=str, indent=2))


def register(app: typer.Typer) -> None:
    app.command("demo-respond")(demo_respond)
