"""``omniretail alerts``: crisis alerts (舆情预警) — feed negative mentions, scan for spikes."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import typer

NAME = "alerts"
app = typer.Typer(
    help="Crisis alerts (舆情预警): negative mentions and spikes.", no_args_is_help=True
)


@app.command("ingest-reviews")
def ingest_reviews(
    input: Path = typer.Option(..., "--input", help="Reviews: CSV, XLSX, Parquet or JSONL."),  # noqa: A002
    text_col: str = typer.Option("content", "--text-col"),
    id_col: str = typer.Option("review_id", "--id-col"),
    cache: Path | None = typer.Option(None, "--cache", help="Parquet cache of analysed reviews."),
) -> None:
    """Analyse reviews and record their negative aspect mentions (replays add nothing)."""
    from omniretail.care.alerts import service
    from omniretail.cli._operator import admin_job
    from omniretail.insight.voice import report
    from omniretail.insight.voice import service as voice
    from omniretail.platform.db import session_scope

    admin_job("alerts ingest-reviews")  # the chain's review feed
    frame = voice.read_table(input)
    analysis = report.analyse_incremental(frame, id_col=id_col, text_col=text_col, cache=cache)
    mentions = service.mentions_from_reviews(frame, analysis, id_col=id_col)
    with session_scope() as session:
        added = service.record_mentions(session, mentions)
    typer.echo(f"{added} new negative mentions ({len(mentions)} found)")


@app.command("scan")
def scan(
    at: str | None = typer.Option(None, "--at", help="ISO time to scan up to (default now)."),
) -> None:
    """Detect spikes and open crisis tickets (what the hourly job does)."""
    from omniretail.care.alerts import service
    from omniretail.cli._operator import admin_job
    from omniretail.platform.db import session_scope
    from omniretail.platform.errors import InvalidInput

    admin_job("alerts scan")  # the hourly job, chain-wide

    try:
        now = datetime.fromisoformat(at) if at else datetime.now(UTC)
    except ValueError as exc:
        raise InvalidInput(f"{at!r} 不是 ISO 时间", field="at") from exc
    if now.tzinfo is None:
        raise InvalidInput("请带上时区，例如 2026-11-30T12:00:00+08:00", field="at")
    with session_scope() as session:
        tickets = service.scan(session, now=now)
        opened = [
            {
                "id": t.id,
                "key": t.key,
                "count": t.count,
                "expected": t.expected,
                "playbook": t.playbook,
            }
            for t in tickets
        ]
    typer.echo(json.dumps(opened, ensure_ascii=False))
