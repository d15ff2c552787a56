"""``omniretail clv``: fit customer lifetime-value models on any transaction file."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

import typer

NAME = "clv"
app = typer.Typer(
    help="Customer lifetime value (客户终身价值): BG/NBD, Pareto/NBD, Gamma-Gamma.",
    no_args_is_help=True,
)


@app.command("fit")
def fit(
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
    calibration_end: datetime = typer.Option(
        ..., "--calibration-end", formats=["%Y-%m-%d"], help="Last day of the calibration window."
    ),
    amount_col: str | None = typer.Option(
        None, "--amount-col", help="Spend column (enables Gamma-Gamma)."
    ),
    quantity_col: str | None = typer.Option(
        None, "--quantity-col", help="Multiply the amount by this column (unit price × quantity)."
    ),
    period: str = typer.Option("week", "--period", help="week (7 days) or day."),
    model: str = typer.Option("bgnbd", "--model", help="bgnbd or paretonbd."),
    per_customer: Path | None = typer.Option(
        None, "--per-customer", help="Also write per-customer predictions to this CSV."
    ),
) -> None:
    """Fit on the calibration window; print parameters, calibration fit and holdout comparison."""
    from omniretail.cli._operator import require_chain_wide
    from omniretail.insight.clv import service

    if source is not None:  # an imported source: the chain's customers (a file is the caller's)
        require_chain_wide("read", "clv fit --source")

    cal_end: date = calibration_end.date()
    report = service.fit_transactions(
        path=transactions,
        source=source,
        customer_col=customer_col,
        date_col=date_col,
        amount_col=amount_col,
        quantity_col=quantity_col,
        calibration_end=cal_end,
        period=period,
        model=model,
        per_customer_path=per_customer,
    )
    typer.echo(json.dumps(report, ensure_ascii=False, indent=2))
