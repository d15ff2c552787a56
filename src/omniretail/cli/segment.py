"""``omniretail segment``: count, export and refresh customer segments (人群圈选)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

from omniretail.platform.errors import InvalidInput

NAME = "segment"
app = typer.Typer(help="Segments (人群圈选).", no_args_is_help=True)


def _rule(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise InvalidInput(f"cannot read rule file {path}: {exc}", field="rule") from exc


def _engine(name: str | None) -> Any:
    from omniretail.platform.engine import open_engine, open_published

    if name in (None, "duckdb"):
        published = open_published()
        if published is not None:
            return published
    return open_engine(name)


@app.command("count")
def count(
    rule: Path = typer.Option(..., "--rule", help="Rule JSON file."),
    engine: str = typer.Option(None, "--engine", help="duckdb (default) or spark"),
    breakdown: bool = typer.Option(False, "--breakdown", help="Break down by store, region..."),
) -> None:
    """Count the customers matching a rule; prints JSON."""
    from omniretail.cli._operator import visible_store_codes
    from omniretail.insight.segment import service

    codes = visible_store_codes("read")  # a store user counts their stores' customers
    eng = _engine(engine)
    try:
        result = service.count_segment(eng, _rule(rule), breakdown=breakdown, store_codes=codes)
        result["engine"] = eng.name
    finally:
        eng.close()
    typer.echo(json.dumps(result, ensure_ascii=False, default=str))


@app.command("export")
def export(
    rule: Path = typer.Option(..., "--rule", help="Rule JSON file."),
    out: Path = typer.Option(..., "--out", help="CSV file to write."),
) -> None:
    """Export the members of a rule as CSV."""
    from omniretail.cli._operator import visible_store_codes
    from omniretail.insight.segment import service

    codes = visible_store_codes("read")
    eng = _engine(None)
    try:
        n = service.export_members_csv(eng, _rule(rule), out, store_codes=codes)
    finally:
        eng.close()
    typer.echo(json.dumps({"members": n, "out": str(out)}))


@app.command("save")
def save(
    name: str = typer.Option(..., "--name"),
    rule: Path = typer.Option(..., "--rule", help="Rule JSON file."),
    description: str = typer.Option(None, "--description"),
) -> None:
    """Save a segment; the pipeline refreshes its members daily."""
    from omniretail.cli._operator import allowed
    from omniretail.insight.segment import service
    from omniretail.platform.auth.scope import store_scope
    from omniretail.platform.db import session_scope

    with session_scope() as s:
        who = allowed(s, "write")
        seg = service.create_segment(
            s,
            name=name,
            rule=_rule(rule),
            description=description,
            store_codes=store_scope(who).codes(),
            created_by=who.name,
        )
        typer.echo(json.dumps({"id": seg.id, "name": seg.name}, ensure_ascii=False))
