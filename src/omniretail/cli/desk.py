"""``omniretail desk``: service-desk exports and SLA reports."""

from __future__ import annotations

import json
from pathlib import Path

import typer

NAME = "desk"
app = typer.Typer(help="Service desk (客服工单): exports and SLA reports.", no_args_is_help=True)


@app.command("export")
def export(out: Path = typer.Option(..., "--out", help="CSV file: one row per ticket.")) -> None:
    """Every ticket with its SLA clocks in business hours, as CSV (safe against formulas); a
    store user's stores' tickets (and chain-level ones), the subject blank without
    personal-data access — as ``GET /api/v1/care/tickets.csv``."""
    from omniretail.care.desk import report
    from omniretail.cli._operator import allowed
    from omniretail.platform.auth.scope import store_scope
    from omniretail.platform.db import session_scope, utcnow
    from omniretail.platform.export import write_csv

    with session_scope() as session:
        who = allowed(session, "read")
        rows = report.filtered_rows(
            session,
            now=utcnow(),
            filters=report.TicketFilter(),
            store_codes=store_scope(who).codes(),
        )
        if not who.sees_personal_data:
            rows = [{**r, "subject": ""} for r in rows]
    n = write_csv(out, rows, columns=report.COLUMNS)
    typer.echo(f"{n} tickets → {out}")


@app.command("sla")
def sla(by: str = typer.Option("team", "--by", help="owner, team or store_code")) -> None:
    """% SLA met, backlog, first-response times and CSAT per agent, team or store (JSON); a
    store user's stores' tickets (and chain-level ones)."""
    from omniretail.care.desk import report
    from omniretail.cli._operator import allowed
    from omniretail.platform.auth.scope import store_scope
    from omniretail.platform.db import session_scope, utcnow
    from omniretail.platform.errors import InvalidInput

    if by not in ("owner", "team", "store_code"):
        raise InvalidInput(f"--by 只能是 owner、team 或 store_code，收到 {by!r}", field="by")
    with session_scope() as session:
        codes = store_scope(allowed(session, "read")).codes()
        rows = report.filtered_rows(
            session, now=utcnow(), filters=report.TicketFilter(), store_codes=codes
        )
        summary = report.sla_summary(rows, by=by)
    typer.echo(json.dumps(summary, ensure_ascii=False, indent=1))
