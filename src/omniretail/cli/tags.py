"""``omniretail tags``: the tag catalogue (标签目录) and customer × tag exports."""

from __future__ import annotations

import json
from pathlib import Path

import typer

NAME = "tags"
app = typer.Typer(help="Member-portrait tags (会员标签).", no_args_is_help=True)


@app.command("list")
def list_tags(
    as_json: bool = typer.Option(False, "--json", help="Print the catalogue as JSON."),
) -> None:
    """List every tag with family, type, refresh policy and coverage."""
    from omniretail.insight.tag import service
    from omniretail.platform.engine import open_published

    engine = open_published()
    try:
        rows = service.catalogue(engine)
    finally:
        if engine is not None:
            engine.close()
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False, default=str))
        return
    for r in rows:
        cov = "-" if r["coverage"] is None else f"{100 * r['coverage']:.1f}%"
        typer.echo(f"{r['id']:28s} {r['family']:12s} {r['type']:8s} {cov:>7s}  {r['zh']}")


@app.command("export")
def export(
    out: Path = typer.Option(..., "--out", help="Parquet file to write."),
    tag: list[str] = typer.Option([], "--tag", help="Only these tags (repeat)."),
    engine_name: str = typer.Option(None, "--engine", help="duckdb (default) or spark"),
) -> None:
    """Export customer × tag values to Parquet."""
    from omniretail.cli._operator import require_chain_wide
    from omniretail.insight.tag import service
    from omniretail.platform.engine import open_engine, open_published

    require_chain_wide("read")  # every customer's tags: not for a store-limited user
    engine = open_published() if engine_name in (None, "duckdb") else open_engine(engine_name)
    if engine is None:
        engine = open_engine("duckdb")
    try:
        n = service.export_tags(engine, out, tags=tag or None)
    finally:
        engine.close()
    typer.echo(json.dumps({"customers": n, "out": str(out)}))


@app.command("docs")
def docs(out: Path = typer.Option(Path("docs/tags.md"), "--out")) -> None:
    """Regenerate the catalogue page (docs/tags.md)."""
    from omniretail.insight.tag.service import catalogue_markdown

    out.write_text(catalogue_markdown(), encoding="utf-8")
    typer.echo(str(out))


@app.command("dormant")
def dormant(limit: int = typer.Option(100, help="How many members.")) -> None:
    """Dormant members for reactivation, most valuable first (JSON lines)."""
    from omniretail.cli._operator import visible_store_codes
    from omniretail.insight.tag.service import dormant_members
    from omniretail.platform.engine import published_engine

    codes = visible_store_codes("read")  # a store user: their stores' members
    engine = published_engine()
    try:
        for row in dormant_members(engine, limit=limit, store_codes=codes):
            typer.echo(json.dumps(row, ensure_ascii=False, default=str))
    finally:
        engine.close()
