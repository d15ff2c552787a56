"""``omniretail guide``: shopping guides (导购) — the 1:1 vs SMS evaluation, the day's tasks."""

from __future__ import annotations

import json

import typer

NAME = "guide"
app = typer.Typer(help="Shopping guides (导购).", no_args_is_help=True)


@app.command("evaluate")
def evaluate(
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    window_days: int = typer.Option(7, help="Days after a contact an order counts."),
) -> None:
    """Conversion per contact of clerks' 1:1 tasks vs an untargeted SMS blast (95% intervals)."""
    from omniretail.cli._operator import require_chain_wide
    from omniretail.operations.guide import evaluate as ev
    from omniretail.platform.db import session_scope
    from omniretail.platform.engine import published_engine

    require_chain_wide("read", "guide evaluate")  # every clerk's contacts and conversions
    engine = published_engine()
    try:
        with session_scope() as session:
            out = ev.evaluate(session, engine, window_days=window_days)
    finally:
        engine.close()
    if as_json:
        typer.echo(json.dumps(out, ensure_ascii=False))
        return
    for arm in ("clerk_1to1", "sms_blast"):
        a = out[arm]
        rate = (
            "—"
            if a["conversion"] is None
            else (f"{a['conversion']:.2%} [{a['ci_low']:.2%}, {a['ci_high']:.2%}]")
        )
        typer.echo(f"{arm}: {a['contacts']} contacts, {a['members']} members, conversion {rate}")
    r = out["ratio"]
    typer.echo("ratio: —" if r is None else
               f"ratio: {r['value']:.2f} [{r['ci_low']:.2f}, {r['ci_high']:.2f}]"
               f" (SMS arm: {out['sms_source']})")  # fmt: skip


@app.command("tasks")
def tasks(day: str = typer.Option(None, help="Day (YYYY-MM-DD), default today.")) -> None:
    """Generate the day's clerk tasks from the published snapshot."""
    from datetime import date

    from omniretail.cli._operator import admin_job
    from omniretail.operations.guide import tasks as guide_tasks
    from omniretail.platform.db import session_scope
    from omniretail.platform.engine import published_engine
    from omniretail.platform.timezone import chain_now

    admin_job("guide tasks")  # every store's clerks (as POST /guide/task-runs)
    engine = published_engine()
    try:
        with session_scope() as session:
            run = guide_tasks.generate_tasks(
                session, engine, day=date.fromisoformat(day) if day else chain_now().date()
            )
    finally:
        engine.close()
    typer.echo(run.model_dump_json())


@app.command("import-chats")
def import_chats(
    files: list[str] = typer.Argument(..., help="WeCom conversation-archive exports (JSON lines)."),
) -> None:
    """Import clerks' 1:1 conversations (会话存档) for the reply rate and first-reply time;
    bad rows are quarantined with their reason, the rest imported; a re-import adds nothing."""
    from pathlib import Path

    from omniretail.cli._operator import admin_job
    from omniretail.operations.guide import chats
    from omniretail.platform.db import session_scope

    admin_job("guide import-chats")  # the chain's conversation archive
    for name in files:
        path = Path(name)
        if not path.is_file():
            raise typer.BadParameter(f"没有文件 {name} (no such file)", param_hint="FILES")
        with path.open(encoding="utf-8", errors="replace") as f, session_scope() as session:
            res = chats.import_archive(session, lines=f, source=path.name)
        typer.echo(json.dumps(res.model_dump(), ensure_ascii=False))
