"""``omniretail uplift``: who should get a coupon at all (优惠券增量模型)."""

from __future__ import annotations

import json
from pathlib import Path

import typer

NAME = "uplift"
app = typer.Typer(
    help="Coupon uplift (增量建模): T-/X-learners, Qini/AUUC, budgeted targeting.",
    no_args_is_help=True,
)


def _echo(payload: object) -> None:
    typer.echo(json.dumps(payload, ensure_ascii=False, indent=2, default=str))


@app.command("evaluate")
def evaluate(
    data: Path = typer.Option(..., "--data", help="Campaign file: one row per customer."),
    treatment_col: str = typer.Option(..., "--treatment-col", help="1/true = got the coupon."),
    outcome_col: str = typer.Option(..., "--outcome-col", help="Bought (0/1) or spend."),
    feature_cols: list[str] = typer.Option(
        [],
        "--feature-col",
        "-f",
        help="Feature column (repeat); default: numeric columns except outcome-like ones.",
    ),
    learners: list[str] = typer.Option(["t_learner", "x_learner"], "--learner"),
    base: str = typer.Option("gbm", "--base", help="Base learner: gbm, forest or linear."),
    test_ratio: float = typer.Option(0.3, "--test-ratio"),
    seed: int = typer.Option(42, "--seed"),
    repeats: int = typer.Option(
        5, "--repeats", help="Stratified random splits; Qini/AUUC as mean, spread, each split."
    ),
    allow_outcome_like: bool = typer.Option(
        False,
        "--allow-outcome-like",
        help="Accept -f columns whose names look like outcomes (measured before the campaign).",
    ),
) -> None:
    """Fit uplift learners on a campaign with a holdout group over repeated splits, beside a
    random and a response-model baseline; print Qini and AUUC as JSON."""
    from omniretail.insight.recommend.io import read_table
    from omniretail.insight.uplift.evaluate import evaluate_campaign

    frame = read_table(data)
    report = evaluate_campaign(
        frame,
        treatment_col=treatment_col,
        outcome_col=outcome_col,
        feature_cols=feature_cols or None,
        learners=learners,
        base=base,
        test_ratio=test_ratio,
        seed=seed,
        repeats=repeats,
        allow_outcome_like=allow_outcome_like,
    )
    for warning in report["warnings"]:
        typer.secho(f"WARNING: {warning}", err=True, fg=typer.colors.YELLOW, bold=True)
    _echo(report)


@app.command("synthetic")
def synthetic(
    setup: str = typer.Option("B", "--setup", help="Nie & Wager setup A, B, C or D."),
    n: int = typer.Option(4000, "--n"),
    base: str = typer.Option("gbm", "--base"),
    seed: int = typer.Option(42, "--seed"),
) -> None:
    """Validate the learners on a synthetic setup with known effects."""
    from omniretail.insight.uplift.evaluate import evaluate_synthetic

    _echo(evaluate_synthetic(setup, n=n, base=base, seed=seed))


@app.command("demo")
def demo(
    world: Path = typer.Option(..., "--world", help="A directory made by `omniretail demo-world`."),
    budget: float = typer.Option(0.2, "--budget", help="Share of customers who get a coupon."),
    offer_value: float = typer.Option(10.0, "--offer-value", help="Coupon value (CNY)."),
    base: str = typer.Option("gbm", "--base"),
    seed: int = typer.Option(42, "--seed"),
) -> None:
    """Targeting by uplift vs by purchase propensity on the demo world's true effects."""
    from omniretail.demo.uplift_eval import evaluate_demo_world

    _echo(evaluate_demo_world(world, budget=budget, offer_value=offer_value, base=base, seed=seed))
