"""``omniretail desk``: service-desk exports and SLA reports."""

from __future__ import annotations

import json
from pathlib import Path

import typer

NAME = "desk"
app = typer.Typer(help="Service desk (客服工单): exports and SLA reports.", no_args_is_help=True)


@app.command("export")
def export(out: Path = typer.Option(..., "--out", help="CSV file: one row per ticket.")) -> None:
    """Every ticket with its SLA clocks in business hours, as CSV (safe against formulas)."""
    from omniretail.care.desk import report
    from omniretail.platform.db import session_scope, utcnow
    from omniretail.platform.export import write_csv

    with session_scope() as session:
        rows = report.ticket_rows(session, now=utcnow())
    n = write_csv(out, rows, columns=report.COLUMNS)
    typer.echo(f"{n} tickets → {out}")


@app.command("sla")
def sla(by: str = typer.Option("team", "--by", help="owner, team or store_code")) -> None:
    """% SLA met, backlog, first-response times and CSAT per agent, team or store (JSON)."""
    from omniretail.care.desk import report
    from omniretail.platform.db import session_scope, utcnow
    from omniretail.platform.errors import InvalidInput

    if by not in ("owner", "team", "store_code"):
        raise InvalidInput(f"--by 只能是 owner、team 或 store_code，收到 {by!r}", field="by")
    with session_scope() as session:
        summary = report.sla_summary(report.ticket_rows(session, now=utcnow()), by=by)
    typer.echo(json.dumps(summary, ensure_ascii=False, indent=1))
