"""``omniretail community``: import a WeCom customer-group export (社群导入)."""

from __future__ import annotations

from pathlib import Path

import typer

from omniretail.cli.coupon import echo, parse, read_doc
from omniretail.platform.errors import InvalidInput

NAME = "community"
app = typer.Typer(help="Communities (社群): WeCom customer groups.", no_args_is_help=True)


@app.command("import")
def import_groups(
    file: Path = typer.Argument(
        ..., help="The export as CSV (UTF-8 or GB18030), one row a member."
    ),
    store: str | None = typer.Option(None, help="The store of every group in the file."),
    kind: str = typer.Option("marketing", help="Group type: marketing, content or service."),
    mapping: Path | None = typer.Option(
        None, help="Column mapping as JSON/YAML (default: the admin console's Chinese headers)."
    ),
) -> None:
    """Groups and members from a WeCom customer-group export; prints the counts and every row
    that could not be read with its reason. A rerun of the same file adds nothing."""
    from omniretail.cli._operator import allowed
    from omniretail.operations.community import service
    from omniretail.operations.community.schemas import ImportMapping
    from omniretail.platform.auth.scope import store_scope
    from omniretail.platform.db import session_scope

    if kind not in ("marketing", "content", "service"):
        raise InvalidInput(f"unknown group type {kind!r}", field="kind")
    raw = file.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("gb18030")
    columns = parse(ImportMapping, read_doc(mapping, "mapping"), "mapping") if mapping else None
    with session_scope() as session:
        # a store user imports their stores' groups only (as the API's group writes)
        store_scope(allowed(session, "write")).require(store, field="store")
        result = service.import_csv(
            session, text=text, mapping=columns, store_code=store, kind=kind
        )
    echo(result.model_dump(mode="json"))
