"""``omniretail kpi``: KPI reports (经营指标) from the published snapshot."""

from __future__ import annotations

import json

import typer

NAME = "kpi"
app = typer.Typer(help="KPIs (经营指标).", no_args_is_help=True)


@app.command("report")
def report(
    grain: str = typer.Option("month", help="day, week or month"),
    by: list[str] = typer.Option([], "--by", help="store, channel or region (repeat)"),
    start: str = typer.Option(None, help="First period (YYYY-MM-DD)"),
    end: str = typer.Option(None, help="Last period (YYYY-MM-DD)"),
) -> None:
    """KPIs per period with growth vs the previous period and last year (JSON lines)."""
    from omniretail.cli._operator import allowed
    from omniretail.insight.kpi import service
    from omniretail.platform.auth.scope import store_scope
    from omniretail.platform.db import session_scope
    from omniretail.platform.engine import published_engine

    with session_scope() as s:  # a store user's KPIs are their stores' (as GET /api/v1/kpis)
        codes = store_scope(allowed(s, "read")).codes()
    engine = published_engine()
    try:
        rows = service.kpi_report(
            engine, grain=grain, by=by, start=start, end=end, store_codes=codes
        )
        for row in rows:
            typer.echo(json.dumps(row, ensure_ascii=False, default=str))
    finally:
        engine.close()


@app.command("summary")
def summary(
    marketing_cost: float = typer.Option(None, help="Marketing spend (CNY) for the CAC."),
) -> None:
    """Headline KPIs: sales, CLTV, repurchase rate, NPS, coupon rates, CAC."""
    from omniretail.cli._operator import chain_wide
    from omniretail.insight.kpi import service
    from omniretail.platform.db import session_scope
    from omniretail.platform.engine import published_engine

    with session_scope() as s:
        chain_wide(s, "read")
    engine = published_engine()
    try:
        out = service.summary(engine, marketing_cost=marketing_cost)
    finally:
        engine.close()
    typer.echo(json.dumps(out, ensure_ascii=False, default=str))
