"""``omniretail forecast``: demand forecast accuracy on an imported source."""

from __future__ import annotations

import json

import typer

NAME = "forecast"
app = typer.Typer(
    help="Demand forecasting and replenishment (需求预测与补货).", no_args_is_help=True
)


@app.command("evaluate")
def evaluate(
    source: str = typer.Option(..., "--source", help="An imported source (omniretail import)."),
    freq: str = typer.Option("week", "--freq", help="week (ISO weeks, Monday) or day."),
    horizon: int = typer.Option(8, "--horizon", help="Periods forecast from each origin."),
    windows: int = typer.Option(3, "--windows", help="Rolling test windows (step = horizon)."),
    top: int = typer.Option(100, "--top", help="SKUs with the most periods with sales."),
    season_length: int | None = typer.Option(
        None, "--season-length", help="Seasonal period (default 52 weeks / 7 days)."
    ),
    methods: list[str] = typer.Option(
        [], "--method", "-m", help="Methods to compare (repeat); default: all."
    ),
) -> None:
    """RMSSE and MASE of each method on rolling windows; baselines and the selected method."""
    from rich.console import Console

    from omniretail.cli._operator import require_chain_wide
    from omniretail.insight.forecast import service

    require_chain_wide("read", "forecast evaluate")  # a whole source's sales, every store
    console = Console(stderr=True)
    with console.status("reading the imported lines") as status:
        report = service.evaluate_source(
            source=source,
            freq=freq,
            horizon=horizon,
            windows=windows,
            top=top,
            season_length=season_length,
            methods=methods or None,
            on_method=lambda name: status.update(f"forecasting: {name}"),
        )
    typer.echo(json.dumps(report, ensure_ascii=False, indent=2))
