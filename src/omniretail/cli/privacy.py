"""``omniretail privacy``: data-subject requests (个人信息查阅与删除) — export everything held
about a person, or erase them everywhere (PIPL arts. 45 and 47; GDPR arts. 15 and 17)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

NAME = "privacy"
app = typer.Typer(
    help="Privacy requests (个人信息请求): export or erase everything about one customer.",
    no_args_is_help=True,
)


def _actor(session: Session) -> str:
    """The administrator running the request (``--as``/API key, else the local operator)."""
    from omniretail.cli._operator import allowed

    return allowed(session, "admin").name  # privacy requests are for administrators only


@app.command("export")
def export(
    customer: str = typer.Option(..., "--customer", help="Customer id (C000123)."),
    out: Path = typer.Option(..., "--out", help="JSON file to write."),
    reason: str | None = typer.Option(None, "--reason", help="Request reference, for the audit."),
) -> None:
    """Write everything held about a customer to a JSON file (查阅/复制请求)."""
    from omniretail.platform.db import session_scope
    from omniretail.platform.privacy import service

    with session_scope() as s:
        actor = _actor(s)
        data = service.export(s, customer)
        service.record_export(s, data["customer_id"], actor=actor, reason=reason)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(data, ensure_ascii=False, indent=1, default=str), encoding="utf-8")
    places = (
        len(data["operational_store"])
        + len(data["analytics"])
        + sum(len(v) for v in data["files"].values())
    )
    typer.echo(f"exported {data['customer_id']} ({places} places) to {out}")


@app.command("erase")
def erase(
    customer: str = typer.Option(..., "--customer", help="Customer id (C000123)."),
    yes: bool = typer.Option(False, "--yes", help="Do not ask for confirmation."),
    reason: str | None = typer.Option(None, "--reason", help="Request reference, for the audit."),
) -> None:
    """Erase a customer everywhere, irreversibly (删除请求): operational store, landing files,
    analytics files; their identifiers go to the suppression list."""
    from omniretail.platform.db import get_engine, session_scope
    from omniretail.platform.privacy import service

    with session_scope() as s:
        actor = _actor(s)
        subject = service.resolve(s, customer)
    if not yes:
        typer.confirm(
            f"Erase customer {subject.customer_ids[0]} ({len(subject.record_keys)} records) "
            "everywhere? This cannot be undone. 确认永久删除？",
            abort=True,
        )
    with session_scope() as s:
        report = service.erase(s, customer, actor=actor, reason=reason)
    service.compact_store(get_engine())
    typer.echo(json.dumps(report, ensure_ascii=False, indent=1))
