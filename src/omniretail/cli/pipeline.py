"""``omniretail pipeline``: run the analytics pipeline and publish the snapshot."""

from __future__ import annotations

import json

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

NAME = "pipeline"
app = typer.Typer(help="Analytics pipeline (数据处理流水线).", no_args_is_help=True)


@app.command("run")
def run(
    engine: str | None = typer.Option(None, "--engine", help="duckdb (default) or spark"),
    full: bool = typer.Option(False, "--full", help="Recompute everything, not only new data."),
    only: list[str] = typer.Option([], "--only", help="Run only these steps (repeat)."),
    publish: bool = typer.Option(True, help="Publish the snapshot for the console when done."),
    resume: bool = typer.Option(
        False, "--resume", help="Continue the last failed run after its last finished step."
    ),
) -> None:
    """Clean → resolve identities → unify → tags/segments/KPIs → scores → publish.

    Progress and per-step timings are recorded in analytics/pipeline_run.json (shown on the
    console's jobs page); a failed run continues with ``--resume`` (same steps, same engine)."""
    from omniretail.cli._operator import admin_job
    from omniretail.platform import pipeline
    from omniretail.platform.config import get_settings
    from omniretail.platform.engine import open_engine, publish_snapshot

    admin_job("pipeline run")  # every store's data: administrators only
    settings = get_settings()
    log = pipeline.RunLog(pipeline.run_log_path(settings), resume=resume)
    if resume:
        prev = pipeline.RunLog.read(log.path) or {}
        if prev.get("status") != "failed":
            raise typer.BadParameter("no failed pipeline run to resume", param_hint="--resume")
        engine = engine or str(prev.get("engine") or "") or None
        if not only and prev.get("steps"):
            only = [s["name"] for s in prev["steps"]]
        full = full or bool(prev.get("full_refresh"))
    eng = open_engine(engine, settings)
    try:
        ctx = pipeline.PipelineContext(engine=eng, settings=settings, full_refresh=full)
        with Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            TextColumn("{task.completed}/{task.total}"),
            TimeElapsedColumn(),
            transient=False,
        ) as progress:
            task = progress.add_task(
                "pipeline", total=len(pipeline.discover()) if not only else len(only)
            )

            def on_step(step: pipeline.Step, i: int, n: int) -> None:
                progress.update(task, description=step.name, completed=i, total=n)

            try:
                results = pipeline.run(ctx, only=only or None, on_step=on_step, checkpoint=log)
            except pipeline.NothingToResume as exc:
                raise typer.BadParameter(str(exc), param_hint="--resume") from exc
            progress.update(task, description="done", completed=len(results))
    finally:
        eng.close()
    if publish and eng.publishes_snapshot:
        publish_snapshot(settings, engine=eng.name)
    typer.echo(json.dumps(results, ensure_ascii=False, default=str))


@app.command("steps")
def steps() -> None:
    """List the pipeline's steps in the order they run."""
    from omniretail.platform import pipeline

    for s in pipeline.discover():
        first = s.description.strip().splitlines()[0] if s.description.strip() else ""
        typer.echo(f"{s.order:4d}  {s.name:32s} {first}")
