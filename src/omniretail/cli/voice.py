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
    from omniretail.platform.export import write_csv

    frame = service.read_table(input)
    result = service.sentiment_table(frame, text_col=text_col)
    # the one export writer: a review starting with = + - @ is not a formula in Excel
    rows = [
        {str(k): v for k, v in r.items()}
        for r in result.astype(object).where(result.notna(), None).to_dict("records")
    ]
    write_csv(out, rows, columns=[str(c) for c in result.columns], bom=False)
    typer.echo(f"{len(result)} rows → {out} ({int(result['label'].sum())} positive)")


@app.command("analyse")
def analyse(text: str = typer.Argument(..., help="One review.")) -> None:
    """Split one review into sentences with sentiment and aspects (JSON)."""
    from omniretail.insight.voice import service

    views = service.analyse_review(text)
    typer.echo(json.dumps([v.__dict__ for v in views], ensure_ascii=False, indent=1))


@app.command("report")
def report(
    input: Path = typer.Option(..., "--input", help="Reviews: CSV, XLSX, Parquet or JSONL."),  # noqa: A002
    month: str = typer.Option(..., "--month", help="The month to report, e.g. 2026-11."),
    out: Path = typer.Option(..., "--out", help="HTML file to write."),
    text_col: str = typer.Option("content", "--text-col"),
    id_col: str = typer.Option("review_id", "--id-col"),
    time_col: str = typer.Option("created_at", "--time-col"),
    cache: Path | None = typer.Option(None, "--cache", help="Parquet cache of analysed reviews."),
) -> None:
    """The monthly customer-experience report as a self-contained HTML file."""
    import re as _re

    from omniretail.insight.voice import report as monthly
    from omniretail.insight.voice import service
    from omniretail.platform.errors import InvalidInput

    if not _re.fullmatch(r"\d{4}-\d{2}", month):
        raise InvalidInput(f"月份格式应为 YYYY-MM，收到 {month!r}", field="month")
    frame = service.read_table(input)
    for col in (text_col, id_col, time_col):
        if col not in frame.columns:
            raise InvalidInput(f"文件中没有列 {col!r}", field=col)
    analysis = monthly.analyse_incremental(frame, id_col=id_col, text_col=text_col, cache=cache)
    result = monthly.build_report(frame, analysis, month=month, id_col=id_col, time_col=time_col)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(monthly.render_html(result), encoding="utf-8")
    typer.echo(f"{result.volume} reviews in {month} → {out}")
