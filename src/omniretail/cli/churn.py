"""``omniretail churn``: evaluate the churn-risk model on any transaction file."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import typer

NAME = "churn"
app = typer.Typer(help="Churn risk (流失风险): time-split evaluation.", no_args_is_help=True)


@app.command("evaluate")
def evaluate(
    transactions: Path | None = typer.Option(
        None, "--transactions", help="CSV, Parquet or XLSX file (or --source)."
    ),
    source: str | None = typer.Option(
        None,
        "--source",
        help="An imported source instead of a file: its paid goods lines after the import's "
        "cleaning (no duplicates, returns, cancellations or postage), ids as text, amounts in "
        "its currency.",
    ),
    customer_col: str | None = typer.Option(
        None, "--customer-col", help="Column with the customer id (with --transactions)."
    ),
    date_col: str | None = typer.Option(
        None, "--date-col", help="Column with the purchase date/time (with --transactions)."
    ),
    amount_col: str | None = typer.Option(None, "--amount-col", help="Spend column."),
    quantity_col: str | None = typer.Option(
        None, "--quantity-col", help="Multiply the amount by this column."
    ),
    as_of: datetime | None = typer.Option(
        None, "--as-of", formats=["%Y-%m-%d"], help="Score date (default: the last purchase)."
    ),
    horizon_days: int = typer.Option(90, "--horizon-days", help="Churn = no purchase in N days."),
    top: int = typer.Option(5, "--top", help="Show this many highest-risk customers."),
) -> None:
    """Train at as_of − 2N, test at as_of − N (AUC, Brier, reliability), score at as_of."""
    from omniretail.cli._operator import require_chain_wide
    from omniretail.insight.churn import service

    if source is not None:  # an imported source: the chain's customers (a file is the caller's)
        require_chain_wide("read", "churn evaluate --source")

    report = service.evaluate_file(
        path=transactions,
        source=source,
        customer_col=customer_col,
        date_col=date_col,
        amount_col=amount_col,
        quantity_col=quantity_col,
        as_of=as_of.date() if as_of else None,
        horizon_days=horizon_days,
        top=top,
    )
    typer.echo(json.dumps(report, ensure_ascii=False, indent=2))
