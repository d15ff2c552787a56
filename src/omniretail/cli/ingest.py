"""``omniretail import`` (bulk files / a demo world), ``omniretail ingest`` (events, batches)
and ``omniretail quality`` (report, quarantine, fix, reprocess)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

ingest_app = typer.Typer(
    help="Ingest: event sources and landing batches (数据接入).", no_args_is_help=True
)
quality_app = typer.Typer(
    help="Data quality: report, quarantine, fix, reprocess (数据质量).", no_args_is_help=True
)


def _echo_json(data: Any) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, default=str, indent=2))


def _mapping_path(value: str) -> Path:
    from omniretail.cdp.ingest.mapping import shipped_mapping

    p = Path(value)
    if p.is_file():
        return p
    shipped = shipped_mapping(value.removesuffix(".yaml"))
    return shipped if shipped.is_file() else p


def import_cmd(
    files: list[Path] = typer.Argument(None, help="Export files (CSV, XLSX, Parquet, JSON lines)."),
    source: str | None = typer.Option(
        None, "--source", help="Source name (default: the mapping's)."
    ),
    mapping: str | None = typer.Option(
        None, "--mapping", help="Mapping YAML file, or the name of a shipped mapping."
    ),
    world: Path | None = typer.Option(
        None, "--world", help="Import every channel of a demo world."
    ),
) -> None:
    """Land channel exports append-only (导入渠道导出文件); a file already imported is skipped.
    A chain-wide job: administrators only (with ``--as``)."""
    from rich.progress import Progress

    from omniretail.cli._operator import admin_job

    admin_job("import")

    from omniretail.cdp.ingest import service
    from omniretail.cdp.ingest.errors import ImportFileError
    from omniretail.platform.db import session_scope

    results: list[dict[str, Any]] = []
    if world is not None:
        channels = service.world_channels(world)
        with Progress(transient=True) as progress:
            task = progress.add_task("import", total=len(channels))
            for src, mpath, paths in channels:
                progress.update(task, description=f"import {src}")
                with session_scope() as s:
                    results += [
                        r.as_dict()
                        for r in service.import_with_mapping_file(
                            s, source=src, mapping_path=mpath, files=paths
                        )
                    ]
                progress.advance(task)
    else:
        if not mapping or not files:
            raise ImportFileError(
                "give --mapping and at least one FILE, or --world DIR", field="mapping"
            )
        with session_scope() as s:
            results = [
                r.as_dict()
                for r in service.import_with_mapping_file(
                    s, source=source, mapping_path=_mapping_path(mapping), files=list(files)
                )
            ]
    _echo_json(
        {
            "files": results,
            "landed_rows": sum(r["rows"] for r in results if r["status"] == "landed"),
            "already_imported": sum(1 for r in results if r["status"] == "already_imported"),
        }
    )


@ingest_app.command("stats")
def stats(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Per event source: events received, accepted, duplicates, quarantined."""
    from omniretail.cdp.ingest import events
    from omniretail.cli._operator import allowed
    from omniretail.platform.db import session_scope

    with session_scope() as s:  # counts of sources, no store's data (as GET /ingest/stats)
        allowed(s, "read")
        data = events.stats(s)
    if as_json:
        _echo_json(data)
        return
    for row in data:
        typer.echo(
            f"{row['source']:24s} received={row['received']} accepted={row['accepted']} "
            f"duplicates={row['duplicates']} quarantined={row['quarantined']} "
            f"pending={row['pending']}"
        )


@ingest_app.command("batches")
def batches(source: str | None = typer.Option(None, "--source")) -> None:
    """Landing batches (one per imported file or drained slice of events)."""
    from omniretail.cdp.ingest import service
    from omniretail.cli._operator import allowed
    from omniretail.platform.db import session_scope

    with session_scope() as s:
        allowed(s, "read")  # as GET /ingest/batches
        _echo_json(
            [
                {
                    "batch_id": b.batch_id,
                    "source": b.source,
                    "file": b.file,
                    "rows": b.rows,
                    "sha256": b.sha256,
                    "status": b.status,
                    "loaded_at": b.loaded_at,
                }
                for b in service.batches(s, source=source)
            ]
        )


@ingest_app.command("mappings")
def mappings() -> None:
    """List the mappings shipped with omniretail."""
    from omniretail.cdp.ingest.mapping import SHIPPED_DIR

    for p in sorted(SHIPPED_DIR.rglob("*.yaml")):
        typer.echo(str(p.relative_to(SHIPPED_DIR).with_suffix("")))


@quality_app.command("report")
def report(
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    source: str | None = typer.Option(None, "--source"),
) -> None:
    """Per source: rows read, accepted, fixed, filled, duplicates, quarantined (by reason)."""
    from omniretail.cdp.quality import service
    from omniretail.cli._operator import allowed
    from omniretail.platform.db import session_scope

    with session_scope() as s:
        allowed(s, "read")  # counts per source, no record (as GET /quality/report)
        data = service.report(s, source=source)
    if as_json:
        _echo_json(data)
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title="数据质量 data quality")
    for c in (
        "source",
        "read",
        "accepted",
        "fixed",
        "filled",
        "duplicates",
        "quarantined",
        "reasons",
    ):
        table.add_column(c)
    for r in data:
        reasons = ", ".join(f"{k}={v}" for k, v in (r.get("quarantined_by_reason") or {}).items())
        table.add_row(
            r["source"],
            *(
                str(r.get(k, ""))
                for k in ("rows_read", "accepted", "fixed", "filled", "duplicates", "quarantined")
            ),
            reasons,
        )
    Console().print(table)


@quality_app.command("quarantine")
def quarantine(
    source: str | None = typer.Option(None, "--source"),
    status: str | None = typer.Option(None, "--status", help="open, fixed or reprocessed"),
    reason: str | None = typer.Option(None, "--reason"),
    limit: int = typer.Option(50, "--limit"),
) -> None:
    """List quarantined records (JSON; their raw rows hold personal data: administrators)."""
    from omniretail.cdp.quality import service
    from omniretail.cli._operator import admin_job
    from omniretail.platform.db import session_scope

    with session_scope() as s:
        admin_job("quality quarantine", s)
        recs = service.list_quarantine(s, source=source, status=status, reason=reason, limit=limit)
        _echo_json([service.record_dict(r) for r in recs])


@quality_app.command("show")
def show(record_id: int) -> None:
    """Show one quarantined record with its raw row (administrators)."""
    from omniretail.cdp.quality import service
    from omniretail.cli._operator import admin_job
    from omniretail.platform.db import session_scope

    with session_scope() as s:
        admin_job("quality show", s)
        _echo_json(service.record_dict(service.get_record(s, record_id=record_id)))


@quality_app.command("fix")
def fix(
    record_id: int,
    set_: list[str] = typer.Option(
        [], "--set", help="COLUMN=VALUE to change in the raw row (repeat)."
    ),
    raw_json: str | None = typer.Option(None, "--raw", help="The whole fixed raw row as JSON."),
    note: str | None = typer.Option(None, "--note"),
) -> None:
    """Fix a quarantined raw row; `omniretail quality reprocess` then re-reads it."""
    from omniretail.cdp.quality import service
    from omniretail.cli._operator import admin_job
    from omniretail.platform.db import session_scope
    from omniretail.platform.errors import InvalidInput

    values: dict[str, Any] = {}
    for item in set_:
        if "=" not in item:
            raise InvalidInput(f"--set {item!r}: use COLUMN=VALUE", field="set")
        k, v = item.split("=", 1)
        values[k] = v if v != "" else None
    raw = None
    if raw_json is not None:
        try:
            raw = json.loads(raw_json)
        except json.JSONDecodeError as exc:
            raise InvalidInput(f"--raw is not valid JSON: {exc}", field="raw") from exc
    with session_scope() as s:
        admin_job("quality fix", s)
        rec = service.fix_record(s, record_id=record_id, raw=raw, set_values=values, note=note)
        _echo_json(service.record_dict(rec))


@quality_app.command("reprocess")
def reprocess(publish: bool = typer.Option(False, help="Publish the snapshot afterwards.")) -> None:
    """Re-run standardization so fixed records are re-read (accepted or rejected again)."""
    from omniretail.cdp.ingest.pipeline import drain_inbox
    from omniretail.cdp.quality import service
    from omniretail.cdp.quality.pipeline import standardize_all
    from omniretail.cli._operator import admin_job
    from omniretail.platform.config import get_settings
    from omniretail.platform.db import session_scope
    from omniretail.platform.engine import open_engine, publish_snapshot
    from omniretail.platform.pipeline import PipelineContext

    admin_job("quality reprocess")
    settings = get_settings()
    with session_scope() as s:
        resent = service.reprocess_events(s)
    eng = open_engine(settings=settings)
    try:
        ctx = PipelineContext(engine=eng, settings=settings)
        drained = drain_inbox(ctx)
        out = standardize_all(ctx)
        out["events_reprocessed"] = resent
        out["events_drained"] = drained
    finally:
        eng.close()
    if publish and eng.publishes_snapshot:
        publish_snapshot(settings, engine=eng.name)
    _echo_json(out)


def register(app: typer.Typer) -> None:
    app.command("import")(import_cmd)
    app.add_typer(ingest_app, name="ingest")
    app.add_typer(quality_app, name="quality")
