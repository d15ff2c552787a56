"""``omniretail jobs``: run due timed jobs (from cron), list them, run one now."""

from __future__ import annotations

import json
from typing import Any

import typer

NAME = "jobs"
app = typer.Typer(help="Timed jobs (定时任务): run-due from cron, list, run.", no_args_is_help=True)


def _echo(data: Any) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def _parse_at(at: str | None) -> Any:
    from datetime import datetime

    from omniretail.platform.jobs.schedule import CRON_TZ, as_utc

    if not at:
        return None
    try:
        t = datetime.fromisoformat(at)
    except ValueError as exc:
        raise typer.BadParameter(f"not an ISO 8601 time: {at!r}", param_hint="--at") from exc
    return as_utc(t if t.tzinfo else t.replace(tzinfo=CRON_TZ))


def _run(only: list[str] | None, *, force: bool, at: str | None) -> None:
    from omniretail.cli._operator import admin_job
    from omniretail.platform.jobs.runner import run_due
    from omniretail.platform.jobs.schemas import RunDueRead

    admin_job("jobs run")  # the scheduled jobs work on every store's data

    result = run_due(only=only or None, force=force, now=_parse_at(at))
    _echo(RunDueRead.model_validate(result).model_dump(mode="json"))
    for o in result.failed:
        typer.secho(f"job {o.name} failed: {(o.error or '').strip()}", fg="red", err=True)
    if result.failed:
        raise typer.Exit(1)


@app.command("run-due")
def run_due(
    job: list[str] = typer.Option(None, "--job", help="Only this job (repeatable)."),
    at: str = typer.Option(None, help="Run as of this time (ISO 8601, chain time if no offset)."),
) -> None:
    """Run every job that is due, each once (call it from cron every minute, on one host or
    several). Exit status 1 if a job failed (its failure is also recorded)."""
    _run(job, force=False, at=at)


@app.command("run")
def run(
    name: list[str] = typer.Argument(..., help="Job name(s), see `omniretail jobs list`."),
) -> None:
    """Run these jobs now, due or not (unless another runner is running them)."""
    _run(name, force=True, at=None)


@app.command("list")
def list_cmd(
    as_json: bool = typer.Option(False, "--json", help="JSON instead of a table."),
) -> None:
    """Every declared job: schedule, next run, last outcome, failures."""
    from rich.console import Console
    from rich.table import Table

    from omniretail.cli._operator import allowed
    from omniretail.platform.db import session_scope
    from omniretail.platform.jobs.service import list_jobs

    with session_scope() as s:
        allowed(s, "read")  # schedules and outcomes, no store's data (as GET /api/v1/jobs)
        jobs = list_jobs(s)
    if as_json:
        _echo([j.model_dump(mode="json") for j in jobs])
        return
    table = Table("name", "every", "next run", "last run", "outcome", "seconds", "failures")
    for j in jobs:
        table.add_row(
            j.name,
            j.every,
            f"{j.next_run_at:%Y-%m-%d %H:%M:%S}" if j.next_run_at else "-",
            f"{j.last_started_at:%Y-%m-%d %H:%M:%S}" if j.last_started_at else "-",
            "running" if j.running else (j.last_outcome or "-"),
            f"{j.last_duration_s:.3f}" if j.last_duration_s is not None else "-",
            str(j.failures),
        )
    Console().print(table)
