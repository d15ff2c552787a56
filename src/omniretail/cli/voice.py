"""``omniretail voice``: the voice of the customer — review sentiment and aspects."""

from __future__ import annotations

import json
from pathlib import Path

import typer

NAME = "voice"
app = typer.Typer(
    help="Voice of the customer (客户之声): review sentiment and aspects.", no_args_is_help=True
)


@app.command("sentiment")
def sentiment(
    input: Path = typer.Option(..., "--input", help="CSV, XLSX or Parquet file of texts."),  # noqa: A002
    text_col: str = typer.Option(..., "--text-col", help="The column holding the text."),
    out: Path = typer.Option(..., "--out", help="CSV to write: one row per input row, in order."),
) -> None:
    """Score each row's text: label (1 positive, 0 negative) and score (probability positive)."""
    from omniretail.insight.voice import service

    frame = service.read_table(input)
    result = service.sentiment_table(frame, text_col=text_col)
    out.parent.mkdir(parents=True, exist_ok=True)
    result.to_csv(out, index=False, encoding="utf-8")
    typer.echo(f"{len(result)} rows → {out} ({int(result['label'].sum())} positive)")


@app.command("analyse")
def analyse(text: str = typer.Argument(..., help="One review.")) -> None:
    """Split one review into sentences with sentiment and aspects (JSON)."""
    from omniretail.insight.voice import service

    views = service.analyse_review(text)
    typer.echo(json.dumps([v.__dict__ for v in views], ensure_ascii=False, indent=1))
