"""The person in the analytics files: the work and published DuckDB databases and the Parquet
files beside them (the identity map, the published customers and identities).

Every table is treated alike, by its columns: rows whose ``customer_id`` (or a related customer
column) is the person's, or whose ``record_key`` / ``left_key`` / ``right_key`` is one of their
records, are deleted — unless the row is a fact (an order, an order line, an event, a review, a
coupon: it has ``order_id``, ``event_id``, ``review_id`` or ``code``), which is kept for the
figures with those columns set to NULL. Any text cell that still contains a strong identifier
loses it. A database is then rewritten into a new file (``COPY FROM DATABASE``), so the deleted
values do not survive in free blocks, and replaces the old one atomically. The Spark engine's
warehouse (``analytics/spark``) is erased table by table: a table that names the person gets a
new version written by the warehouse's own protocol, and the old versions are deleted.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb

from omniretail.platform.config import Settings, get_settings
from omniretail.platform.engine import published_path, warehouse, work_path
from omniretail.platform.engine.dialect import ident, string
from omniretail.platform.errors import Conflict
from omniretail.platform.i18n import N_
from omniretail.platform.privacy.subject import ERASED, Subject

CUSTOMER_COLUMNS = (
    "customer_id",
    "related_customer_id",
    "left_customer_id",
    "right_customer_id",
    "leader_customer_id",
)
RECORD_COLUMNS = ("record_key", "left_key", "right_key")
FACT_COLUMNS = ("order_id", "event_id", "review_id", "code")
TEXT_TYPES = ("VARCHAR", "JSON")
_REPLACEMENT = "\\1" + ERASED + "\\2"  # keep the characters around an identifier


BUSY = "The analytics files are in use (is the pipeline running?); try again when it has finished."


class AnalyticsBusy(Conflict):
    title = "Analytics files in use"


def _in(values: tuple[str, ...]) -> str:
    return "(" + ", ".join(string(v) for v in values) + ")"


def _columns(con: duckdb.DuckDBPyConnection, table: str) -> list[tuple[str, str]]:
    rows = con.execute(
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = 'main' AND table_name = ? ORDER BY ordinal_position",
        [table],
    ).fetchall()
    return [(str(r[0]), str(r[1])) for r in rows]


def _tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    rows = con.execute(
        "SELECT table_name FROM information_schema.tables "
        "WHERE table_schema = 'main' AND table_type = 'BASE TABLE' ORDER BY 1"
    ).fetchall()
    return [str(r[0]) for r in rows]


def _key_condition(cols: list[str], subject: Subject) -> str | None:
    parts = []
    if subject.customer_ids:
        parts += [
            f"{ident(c)} IN {_in(subject.customer_ids)}" for c in CUSTOMER_COLUMNS if c in cols
        ]
    if subject.record_keys:
        parts += [f"{ident(c)} IN {_in(subject.record_keys)}" for c in RECORD_COLUMNS if c in cols]
    return " OR ".join(parts) or None


def _text_condition(cols: list[tuple[str, str]], pattern: str | None) -> str | None:
    if pattern is None:
        return None
    parts = [
        f"regexp_matches(CAST({ident(c)} AS VARCHAR), {string(pattern)})"
        for c, t in cols
        if t in TEXT_TYPES
    ]
    return " OR ".join(parts) or None


def _jsonable(v: Any) -> Any:
    if isinstance(v, datetime | date):
        return v.isoformat()
    if isinstance(v, Decimal):
        return str(v)
    if isinstance(v, dict):
        return {str(k): _jsonable(x) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [_jsonable(x) for x in v]
    if isinstance(v, bytes):
        return v.hex()
    return v


def _export_table(
    con: duckdb.DuckDBPyConnection, table: str, subject: Subject
) -> list[dict[str, Any]]:
    typed = _columns(con, table)
    cols = [c for c, _ in typed]
    conds = [
        c for c in (_key_condition(cols, subject), _text_condition(typed, subject.pattern())) if c
    ]
    if not conds:
        return []
    cur = con.execute(f"SELECT * FROM {ident(table)} WHERE " + " OR ".join(f"({c})" for c in conds))
    names = [d[0] for d in cur.description or []]
    return [{n: _jsonable(v) for n, v in zip(names, row, strict=True)} for row in cur.fetchall()]


def _erase_table(con: duckdb.DuckDBPyConnection, table: str, subject: Subject) -> int:
    typed = _columns(con, table)
    cols = [c for c, _ in typed]
    changed = 0
    cond = _key_condition(cols, subject)
    if cond:
        n = con.execute(f"SELECT count(*) FROM {ident(table)} WHERE {cond}").fetchone()
        hits = int(n[0]) if n else 0
        if hits and any(c in cols for c in FACT_COLUMNS):
            sets = [
                f"{ident(c)} = CASE WHEN {ident(c)} IN {_in(subject.customer_ids)} "
                f"THEN NULL ELSE {ident(c)} END"
                for c in CUSTOMER_COLUMNS
                if c in cols and subject.customer_ids
            ] + [
                f"{ident(c)} = CASE WHEN {ident(c)} IN {_in(subject.record_keys)} "
                f"THEN NULL ELSE {ident(c)} END"
                for c in RECORD_COLUMNS
                if c in cols and subject.record_keys
            ]
            con.execute(f"UPDATE {ident(table)} SET {', '.join(sets)} WHERE {cond}")
        elif hits:
            con.execute(f"DELETE FROM {ident(table)} WHERE {cond}")
        changed += hits
    pattern = subject.pattern()
    if pattern is None:
        return changed
    whole = "(?i)^\\s*(?:" + "|".join(subject.strong_alternatives()) + ")\\s*$"
    for c, t in typed:
        if t not in TEXT_TYPES:
            continue
        col = f"CAST({ident(c)} AS VARCHAR)"
        expr = (
            f"CASE WHEN regexp_matches({col}, {string(whole)}) THEN NULL "
            f"ELSE regexp_replace({col}, {string(pattern)}, {string(_REPLACEMENT)}, 'g') END"
        )
        if t == "JSON":
            expr = f"CAST({expr} AS JSON)"
        n = con.execute(
            f"SELECT count(*) FROM {ident(table)} WHERE regexp_matches({col}, {string(pattern)})"
        ).fetchone()
        if n and n[0]:
            con.execute(
                f"UPDATE {ident(table)} SET {ident(c)} = {expr} "
                f"WHERE regexp_matches({col}, {string(pattern)})"
            )
            changed += int(n[0])
    return changed


@contextmanager
def _connect(path: Path, *, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    try:
        con = duckdb.connect(str(path), read_only=read_only)
    except duckdb.IOException as exc:
        raise AnalyticsBusy(
            f"{path.name} is in use (is the pipeline running?); try again when it has finished",
            message=N_(BUSY),
        ) from exc
    try:
        yield con
    finally:
        con.close()


def _compact(path: Path) -> None:
    """Rewrite the database into a new file without free blocks, then replace it."""
    fresh = path.with_name(path.name + ".privacy-new")
    fresh.unlink(missing_ok=True)
    con = duckdb.connect()
    try:
        con.execute(f"ATTACH {string(str(path))} AS src (READ_ONLY)")
        con.execute(f"ATTACH {string(str(fresh))} AS dst")
        con.execute("COPY FROM DATABASE src TO dst")
        con.execute("DETACH dst")
        con.execute("DETACH src")
    finally:
        con.close()
    os.replace(fresh, path)
    path.with_name(path.name + ".wal").unlink(missing_ok=True)


def erase_database(path: Path, subject: Subject, *, in_place: bool) -> dict[str, int]:
    """Erase the person from one DuckDB file. ``in_place=False`` (the published snapshot,
    which readers may hold open) works on a copy and renames it over the original."""
    if not path.exists():
        return {}
    target = path if in_place else path.with_name(path.name + ".privacy-tmp")
    if not in_place:
        shutil.copyfile(path, target)
    counts: dict[str, int] = {}
    with _connect(target) as con:
        for t in _tables(con):
            n = _erase_table(con, t, subject)
            if n:
                counts[t] = n
        con.execute("CHECKPOINT")
    _compact(target)
    if not in_place:
        os.replace(target, path)
    return counts


def export_database(path: Path, subject: Subject) -> dict[str, list[dict[str, Any]]]:
    if not path.exists():
        return {}
    out: dict[str, list[dict[str, Any]]] = {}
    with _connect(path, read_only=True) as con:
        for t in _tables(con):
            rows = _export_table(con, t, subject)
            if rows:
                out[t] = rows
    return out


def spark_warehouse(settings: Settings) -> Path:
    """The Spark engine's warehouse (``analytics/spark``: one folder per table, versions of
    Parquet parts); erased table by table, not file by file."""
    return settings.analytics_dir / "spark"


def _parquet_files(settings: Settings) -> list[Path]:
    warehouse = spark_warehouse(settings)
    return sorted(
        p for p in settings.analytics_dir.rglob("*.parquet") if not p.is_relative_to(warehouse)
    )


def _load_version(con: duckdb.DuckDBPyConnection, folder: Path) -> None:
    files = "[" + ", ".join(string(str(p)) for p in warehouse.parts(folder)) + "]"
    con.execute(f"CREATE TABLE t AS SELECT * FROM read_parquet({files})")


def _copy_to_parquet(con: duckdb.DuckDBPyConnection) -> Callable[[Path], None]:
    def write(part: Path) -> None:
        con.execute(f"COPY t TO {string(str(part))} (FORMAT parquet)")

    return write


def erase_warehouse(subject: Subject, settings: Settings) -> dict[str, int]:
    """Erase the person from every table of the Spark warehouse: each table whose current
    version names them is rewritten into a new version (the same rule as every other table:
    per-customer rows deleted, facts kept without the person), the old versions removed."""
    counts: dict[str, int] = {}
    for name, folder in warehouse.current_tables(spark_warehouse(settings)).items():
        if not warehouse.parts(folder):
            continue
        con = duckdb.connect()
        try:
            _load_version(con, folder)
            n = _erase_table(con, "t", subject)
            if n:
                warehouse.rewrite_table(folder.parent, _copy_to_parquet(con))
                counts[f"spark/{name}"] = n
        finally:
            con.close()
    return counts


def export_warehouse(subject: Subject, settings: Settings) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for name, folder in warehouse.current_tables(spark_warehouse(settings)).items():
        if not warehouse.parts(folder):
            continue
        con = duckdb.connect()
        try:
            _load_version(con, folder)
            rows = _export_table(con, "t", subject)
        finally:
            con.close()
        if rows:
            out[f"spark/{name}"] = rows
    return out


def erase_parquet(path: Path, subject: Subject) -> int:
    con = duckdb.connect()
    try:
        con.execute(f"CREATE TABLE t AS SELECT * FROM read_parquet({string(str(path))})")
        n = _erase_table(con, "t", subject)
        if n:
            tmp = path.with_name(path.name + ".privacy-tmp")
            con.execute(f"COPY t TO {string(str(tmp))} (FORMAT parquet)")
            os.replace(tmp, path)
        return n
    finally:
        con.close()


def export_parquet(path: Path, subject: Subject) -> list[dict[str, Any]]:
    con = duckdb.connect()
    try:
        con.execute(f"CREATE VIEW t AS SELECT * FROM read_parquet({string(str(path))})")
        return _export_table(con, "t", subject)
    finally:
        con.close()


def export_analytics(subject: Subject, settings: Settings | None = None) -> dict[str, Any]:
    settings = settings or get_settings()
    out: dict[str, Any] = {}
    snap = export_database(published_path(settings), subject)
    if snap:
        out["published.duckdb"] = snap
    for p in _parquet_files(settings):
        rows = export_parquet(p, subject)
        if rows:
            out[str(p.relative_to(settings.home))] = rows
    out.update(export_warehouse(subject, settings))
    return out


def erase_analytics(subject: Subject, settings: Settings | None = None) -> dict[str, int]:
    settings = settings or get_settings()
    counts: dict[str, int] = {}
    for p, in_place in ((work_path(settings), True), (published_path(settings), False)):
        for t, n in erase_database(p, subject, in_place=in_place).items():
            counts[f"{p.name}:{t}"] = n
    for p in _parquet_files(settings):
        n = erase_parquet(p, subject)
        if n:
            counts[str(p.relative_to(settings.home))] = n
    counts.update(erase_warehouse(subject, settings))  # the Spark engine's tables
    return counts
