"""The Spark warehouse on disk: one folder per table, one ``v<ns>`` version folder of Parquet
parts per build (the latest finished one — with ``_SUCCESS`` — is current).

Readable without Spark: :func:`current_tables` lists each table's current version and
:func:`snapshot_from_warehouse` loads them into a DuckDB file (the published snapshot);
:func:`rewrite_table` replaces a table's current version by a new one written without Spark
(what a privacy erasure does), by the same protocol as the Spark adapter's writes: a new
``v<ns>`` folder, ``_SUCCESS`` last, then the older versions removed.

Views (``create_view``: a query over tables, no copy, as ``trf_counts`` is) are kept as their
canonical (DuckDB) SQL in ``_views/<name>.sql`` (:func:`save_view`): a later Spark engine
binds them again and the snapshot holds them as DuckDB views, as the DuckDB engine's does."""

from __future__ import annotations

import logging
import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path

import duckdb

from omniretail.platform.engine.dialect import ident, string

log = logging.getLogger(__name__)
VIEWS = "_views"  # not a table: no table name starts with "_" (scratch tables are not kept)


def versions(table_dir: Path) -> list[Path]:
    """The finished versions of one table, oldest first."""
    done = [p for p in table_dir.glob("v*") if (p / "_SUCCESS").exists()]
    return sorted(done, key=lambda p: int(p.name[1:]))


def current_tables(warehouse: Path) -> dict[str, Path]:
    """Table name → its current version folder."""
    out: dict[str, Path] = {}
    if warehouse.exists():
        for table_dir in sorted(p for p in warehouse.iterdir() if p.is_dir()):
            if table_dir.name == VIEWS:
                continue
            found = versions(table_dir)
            if found:
                out[table_dir.name] = found[-1]
    return out


def save_view(warehouse: Path, name: str, sql: str) -> None:
    """Keep view ``name``'s canonical SQL (replacing an earlier definition)."""
    folder = warehouse / VIEWS
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f".{name}.sql.tmp"
    tmp.write_text(sql, encoding="utf-8")
    os.replace(tmp, folder / f"{name}.sql")


def drop_view(warehouse: Path, name: str) -> None:
    (warehouse / VIEWS / f"{name}.sql").unlink(missing_ok=True)


def saved_views(warehouse: Path) -> dict[str, str]:
    """View name → its canonical SQL, by name."""
    folder = warehouse / VIEWS
    if not folder.exists():
        return {}
    return {p.stem: p.read_text(encoding="utf-8") for p in sorted(folder.glob("*.sql"))}


def bind_views(views: dict[str, str], create: Callable[[str, str], object]) -> list[str]:
    """``create(name, sql)`` for every view, a view over another view after it (each round
    creates what it can, until a round creates nothing); returns the views that could not be
    created — their tables are gone — each logged with the engine's error."""
    left = dict(views)
    errors: dict[str, Exception] = {}
    while left:
        errors = {}
        before = len(left)
        for name, sql in list(left.items()):
            try:
                create(name, sql)
            except Exception as exc:  # noqa: BLE001 - the engine's own error, logged below
                errors[name] = exc
            else:
                del left[name]
        if len(left) == before:  # nothing more can be created
            break
    for name, error in errors.items():
        first_line = (str(error).splitlines() or [type(error).__name__])[0]
        log.warning("view %s not created: %s", name, first_line)
    return sorted(errors)


def snapshot_from_warehouse(warehouse: Path, target: Path) -> int:
    """Write every current warehouse table into a new DuckDB file, and its views as DuckDB
    views (their SQL is DuckDB's); returns the table count."""
    tables = current_tables(warehouse)
    con = duckdb.connect(str(target))
    try:
        for name, folder in tables.items():
            # Spark writes at least one part, with the schema, even for an empty table
            files = "[" + ", ".join(string(str(p)) for p in sorted(folder.glob("*.parquet"))) + "]"
            con.execute(f"CREATE TABLE {ident(name)} AS SELECT * FROM read_parquet({files})")
        bind_views(
            saved_views(warehouse),
            lambda name, sql: con.execute(f"CREATE VIEW {ident(name)} AS {sql}"),
        )
        con.execute("CHECKPOINT")
    finally:
        con.close()
    return len(tables)


def parts(folder: Path) -> list[Path]:
    """The Parquet parts of one version folder."""
    return sorted(folder.glob("*.parquet"))


def rewrite_table(table_dir: Path, write: Callable[[Path], None]) -> Path:
    """A new current version of one table: ``write(part)`` writes its single Parquet part,
    ``_SUCCESS`` marks the version finished (readers — a Spark engine opened later, the
    snapshot export — take it from then on), and every older version, finished or not, is
    deleted with the data it held (Spark's checksum files included)."""
    folder = table_dir / f"v{time.time_ns()}"
    folder.mkdir(parents=True)
    write(folder / "part-00000-rewritten.parquet")
    (folder / "_SUCCESS").touch()
    for old in table_dir.glob("v*"):
        if old != folder and old.name[1:].isdigit() and int(old.name[1:]) < int(folder.name[1:]):
            shutil.rmtree(old, ignore_errors=True)
    return folder
