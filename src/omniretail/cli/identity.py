"""``omniretail identity ...`` (身份识别) and ``omniretail link`` (名单匹配)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer
from pydantic import BaseModel

NAME = "identity"
app = typer.Typer(
    help="Identity resolution: explain, merge, unmerge, evaluate (身份识别).", no_args_is_help=True
)


def _print(data: Any) -> None:
    if isinstance(data, BaseModel):
        data = data.model_dump(mode="json", by_alias=True)
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def _resolve_customer(engine: Any, identifier: str) -> str:
    from omniretail.cdp.identity.explain import customer_of_record
    from omniretail.cdp.profile import lookup

    if ":" in identifier and not identifier.startswith("+"):
        found = customer_of_record(engine, identifier)
        if found:
            return found
    return lookup.resolve_in_snapshot(engine, identifier)


@app.command("explain")
def explain(
    identifier: str = typer.Argument(
        ...,
        help="Customer id, record key (source:id) or any "
        "identifier (phone, openid, unionid, member card...).",
    ),
    record: list[str] = typer.Option(
        [],
        "--record",
        help="Explain the chain between these records (give one or two record keys).",
    ),
) -> None:
    """Why are these records one customer: records, links and the chains between them."""
    from omniretail.cdp.identity import explain as explain_mod
    from omniretail.cdp.profile import masking
    from omniretail.cli._operator import for_customer
    from omniretail.platform.db import session_scope
    from omniretail.platform.engine.snapshot import published_engine

    engine = published_engine()
    try:
        customer_id = _resolve_customer(engine, identifier)
        with session_scope() as s:  # another store's customer is unknown, as in the API
            who = for_customer(s, "read", customer_id, field="identifier")
        a = record[0] if record else (identifier if ":" in identifier else None)
        b = record[1] if len(record) > 1 else None
        found = explain_mod.explain(engine, customer_id, record_a=a, record_b=b)
    finally:
        engine.close()
    if not who.sees_personal_data:  # platform ids and phones masked, as in the API
        for edge in found.edges:
            edge.evidence = masking.mask_evidence(edge.evidence)
        for chain in found.chains:
            for link in chain.links:
                link.evidence = masking.mask_evidence(link.evidence)
    _print(found)


@app.command("merge")
def merge(
    customer_id: str = typer.Argument(..., help="The customer that survives."),
    other_customer_id: str = typer.Argument(..., help="The customer merged into it."),
    reason: str = typer.Option(..., "--reason", help="Why (kept in the audit trail)."),
    actor: str = typer.Option("cli", "--actor", help="Who decides."),
) -> None:
    """Declare two customers one person (must-link, honoured by every later run). With
    ``--as``, both customers must be the caller's stores' and the audit names the caller."""
    from omniretail.cdp.profile import service
    from omniretail.cli._operator import for_customer, named
    from omniretail.platform.db import session_scope
    from omniretail.platform.engine.snapshot import published_engine

    with session_scope() as s:  # refused before the snapshot is opened
        who = for_customer(s, "write", customer_id, field="customer_id")
        for_customer(s, "write", other_customer_id, field="other_customer_id")
    actor = who.name if named() else actor
    engine = published_engine()
    try:
        with session_scope() as s:
            _print(
                service.merge_customers(
                    s,
                    engine,
                    customer_id=customer_id,
                    other_customer_id=other_customer_id,
                    actor=actor,
                    reason=reason,
                )
            )
    finally:
        engine.close()


@app.command("unmerge")
def unmerge(
    customer_id: str = typer.Argument(...),
    record: list[str] = typer.Option(..., "--record", help="Record key to split off (repeat)."),
    reason: str = typer.Option(..., "--reason", help="Why (kept in the audit trail)."),
    actor: str = typer.Option("cli", "--actor"),
) -> None:
    """Split records off a customer (cannot-link, honoured by every later run). With ``--as``,
    the customer must be the caller's stores' and the audit names the caller."""
    from omniretail.cdp.identity import service
    from omniretail.cli._operator import for_customer, named
    from omniretail.platform.db import session_scope
    from omniretail.platform.engine.snapshot import published_engine

    with session_scope() as s:  # refused before the snapshot is opened
        who = for_customer(s, "write", customer_id, field="customer_id")
    actor = who.name if named() else actor
    engine = published_engine()
    try:
        with session_scope() as s:
            _print(
                service.unmerge_records(
                    s,
                    engine,
                    customer_id=customer_id,
                    record_keys=record,
                    actor=actor,
                    reason=reason,
                )
            )
    finally:
        engine.close()


@app.command("constraints")
def constraints(all_: bool = typer.Option(False, "--all", help="Include lifted ones.")) -> None:
    """List manual must-link / cannot-link decisions (every store's customers: chain-wide
    users)."""
    from omniretail.cdp.identity import service
    from omniretail.cli._operator import chain_wide
    from omniretail.platform.db import session_scope

    with session_scope() as s:
        chain_wide(s, "read", "identity constraints")
        _print(service.list_constraints(s, include_inactive=all_))


@app.command("evaluate")
def evaluate(
    truth: Path = typer.Option(..., "--truth", help="A demo world's folder (or its truth/)."),
    work: bool = typer.Option(
        False, "--work", help="Read the pipeline's work database instead of the published snapshot."
    ),
) -> None:
    """Pairwise precision, recall and F1 of the resolved customers against the truth (JSON)."""
    from omniretail.cdp.identity.evaluate import evaluate as run_eval
    from omniretail.cli._operator import require_chain_wide
    from omniretail.platform.engine import DuckDBEngine, work_path
    from omniretail.platform.engine.snapshot import published_engine

    require_chain_wide("read", "identity evaluate")  # every customer of the chain
    engine = DuckDBEngine(work_path(), read_only=True) if work else published_engine()
    try:
        _print(run_eval(engine, truth))
    finally:
        engine.close()


def link(
    left: Path = typer.Argument(..., help="A customer list (CSV, Parquet, XLSX, JSON lines)."),
    right: Path | None = typer.Argument(None, help="A second list to link against."),
    config: Path = typer.Option(..., "--config", help="Linking configuration (YAML)."),
    out: Path = typer.Option(..., "--out", help="Where to write the matching pairs (CSV)."),
) -> None:
    """Link two customer lists or de-duplicate one with Splink (名单匹配/去重)."""
    from omniretail.cdp.identity.link import link_files, load_link_config

    _print(link_files(load_link_config(config), left, right, out))


def register(root: typer.Typer) -> None:
    root.command("link")(link)
