"""Read a channel export (CSV, XLSX, Parquet, JSON lines/JSON) and land it as raw Parquet.

Raw rows are kept as read: CSV and XLSX cells as text (so phone numbers and codes keep
their leading zeros), Parquet and JSON with their own types. Each landed row gets
``_source``, ``_batch_id``, ``_file``, ``_row`` (1-based position in the file) and
``_loaded_at``; XLSX rows also ``_sheet`` and ``_sheet_row`` (the row number Excel shows).
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import hashlib
import os
import tempfile
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from omniretail.cdp.ingest.errors import ImportFileError
from omniretail.cdp.ingest.mapping import FileOptions
from omniretail.platform.engine.dialect import string

UTF8_NAMES = {"utf-8", "utf8", "utf-8-sig", "utf_8", "utf_8_sig"}
META_COLUMNS = ("_source", "_batch_id", "_file", "_row", "_loaded_at", "_sheet", "_sheet_row")


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _transcode_to_utf8(path: Path, encoding: str) -> Path:
    """Decode a GBK/GB18030/Big5/... file into a temporary UTF-8 file (streamed)."""
    try:
        codecs.lookup(encoding)
    except LookupError as exc:
        raise ImportFileError(f"unknown encoding {encoding!r}", field="options.encoding") from exc
    fd, tmp = tempfile.mkstemp(suffix=".csv")
    os.close(fd)
    try:
        with (
            path.open("r", encoding=encoding, newline="") as src,
            open(tmp, "w", encoding="utf-8", newline="") as dst,
        ):
            while chunk := src.read(1 << 20):
                dst.write(chunk)
    except UnicodeDecodeError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise ImportFileError(
            f"{path.name} is not valid {encoding} (byte {exc.start}); check options.encoding",
            field="options.encoding",
        ) from exc
    return Path(tmp)


MAX_LINE_BYTES = 2 * 1024 * 1024  # a longer CSV record is quarantined, not loaded


@dataclass
class Reject:
    """A record of the file that could not be read, quarantined with its reason."""

    row: int  # position among the file's records (as ``_row``)
    reason: str
    line: str


def _header(src: Path, opts: FileOptions) -> list[str]:
    """The column names, parsed with the same dialect (RFC 4180) as the rows."""
    with src.open("r", encoding="utf-8-sig", newline="") as f:
        for _ in range(opts.skip_rows):
            f.readline()
        first = f.readline(MAX_LINE_BYTES)
    cells = next(csv.reader([first], delimiter=opts.delimiter, quotechar=opts.quote), [])
    if not opts.header:
        return [f"column{i}" for i in range(len(cells))]
    names: list[str] = []
    for i, raw in enumerate(cells):
        name = raw.strip() or f"column{i}"
        while name in names:
            name += "_1"
        names.append(name)
    return names


def _read_csv(path: Path, opts: FileOptions) -> tuple[pa.Table, list[Reject]]:
    """Parse deterministically — the dialect is the mapping's (delimiter, quote, RFC 4180
    doubled quotes as the escape), never a sniffer's guess — and quarantine the records that
    cannot be read (a ragged row, a record over 2 MiB) instead of rejecting the file."""
    enc = opts.encoding.lower()
    src = path if enc in UTF8_NAMES else _transcode_to_utf8(path, opts.encoding)
    try:
        names = _header(src, opts)
        if not names:
            return pa.table({}), []
        con = duckdb.connect()
        table: pa.Table = con.sql(f"SELECT * FROM {_csv_scan(src, opts, names)}").to_arrow_table()
        rejects = _csv_rejects(con, opts)
        con.close()
    except duckdb.Error as exc:
        raise ImportFileError(f"cannot read {path.name} as CSV: {exc}", field="file") from exc
    finally:
        if src != path:
            src.unlink(missing_ok=True)
    return table, rejects


def _csv_scan(src: Path, opts: FileOptions, names: list[str]) -> str:
    """The ``read_csv`` of ``_read_csv`` (every cell text; unreadable records to ``__rejects``)."""
    columns = "{" + ", ".join(f"{string(n)}: 'VARCHAR'" for n in names) + "}"
    nulls = "[" + ", ".join(string(v) for v in opts.null_values) + "]"
    return (
        f"read_csv({string(str(src))}, auto_detect = false, "
        f"columns = {columns}, delim = {string(opts.delimiter)}, "
        f"quote = {string(opts.quote)}, escape = {string(opts.quote)}, "
        f"header = {str(opts.header).lower()}, skip = {opts.skip_rows}, "
        f"nullstr = {nulls}, strict_mode = true, max_line_size = {MAX_LINE_BYTES}, "
        "ignore_errors = true, store_rejects = true, "
        "rejects_table = '__rejects', rejects_scan = '__reject_scans')"
    )


def _csv_rejects(con: duckdb.DuckDBPyConnection, opts: FileOptions) -> list[Reject]:
    """The records the last ``_csv_scan`` of ``con`` could not read, by position."""
    first_data_line = 1 + opts.skip_rows + (1 if opts.header else 0)
    rejects: dict[int, Reject] = {}
    for line, etype, message, text in con.execute(
        "SELECT line, error_type, error_message, csv_line FROM __rejects ORDER BY line"
    ).fetchall():
        row = int(line) - first_data_line + 1
        if row not in rejects:
            reason = "unreadable_row:" + str(etype).lower().replace(" ", "_")
            rejects[row] = Reject(row, reason, f"{message}: {str(text or '')[:500]}")
    return sorted(rejects.values(), key=lambda r: r.row)


def _land_csv(path: Path, opts: FileOptions, meta: str, tmp: Path) -> int | None:
    """A UTF-8 CSV streamed by DuckDB straight to Parquet (no Arrow copy of the file in
    memory, no Python per column), ``_row`` the record's position (``row_number() OVER ()``
    over the scan in file order). None when a record could not be read: the positions then
    skip it, which the caller's Arrow path numbers (the file is read again, rarely)."""
    if opts.encoding.lower() not in UTF8_NAMES:
        return None
    names = _header(path, opts)
    if not names:
        return None
    _reserved(path, names)
    con = duckdb.connect()
    try:
        con.execute("SET preserve_insertion_order = true")
        con.execute(
            f"COPY (SELECT *, {meta} FROM (SELECT *, row_number() OVER () AS _row "
            f"FROM {_csv_scan(path, opts, names)}) r) TO {string(str(tmp))} (FORMAT PARQUET)"
        )
        if _csv_rejects(con, opts):
            return None
        row = con.execute(f"SELECT count(*) FROM read_parquet({string(str(tmp))})").fetchone()
        return int(row[0]) if row else 0
    except duckdb.Error as exc:
        raise ImportFileError(f"cannot read {path.name} as CSV: {exc}", field="file") from exc
    finally:
        con.close()


def _reserved(path: Path, names: list[str]) -> None:
    clash = [c for c in names if c in META_COLUMNS and c not in ("_sheet", "_sheet_row")]
    if clash:
        raise ImportFileError(f"{path.name}: column {clash[0]!r} is reserved", field="file")


def _cell_text(v: Any) -> str | None:
    if v is None:
        return None
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return str(int(v)) if v.is_integer() else repr(v)
    if isinstance(v, dt.datetime):
        return v.isoformat(sep=" ")
    if isinstance(v, dt.date | dt.time | Decimal | int):
        return str(v)
    text = str(v)
    return text if text != "" else None


def _read_xlsx(path: Path, opts: FileOptions) -> pa.Table:
    import openpyxl

    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a broken workbook
        raise ImportFileError(f"cannot open {path.name} as XLSX: {exc}", field="file") from exc
    names = wb.sheetnames if opts.sheets == "all" else opts.sheets
    missing = [s for s in names if s not in wb.sheetnames]
    if missing:
        raise ImportFileError(
            f"{path.name} has no sheet {missing[0]!r} (sheets: {', '.join(wb.sheetnames)})",
            field="options.sheets",
        )
    parts: list[pa.Table] = []
    for sheet in names:
        rows = wb[sheet].iter_rows(values_only=True)
        for _ in range(opts.skip_rows):
            next(rows, None)
        header_row = next(rows, None) if opts.header else None
        data = [r for r in rows if any(c is not None for c in r)]
        width = max([len(header_row or ())] + [len(r) for r in data] or [0])
        header = [
            _cell_text(h) or f"column{i}"
            for i, h in enumerate(list(header_row or ()) + [None] * width)
        ][:width]
        first_excel_row = 1 + opts.skip_rows + (1 if opts.header else 0)
        cols: dict[str, Any] = {
            h: pa.array([_cell_text(r[i]) if i < len(r) else None for r in data], pa.string())
            for i, h in enumerate(header)
        }
        cols["_sheet"] = pa.array([sheet] * len(data), pa.string())
        cols["_sheet_row"] = pa.array(
            range(first_excel_row, first_excel_row + len(data)), pa.int64()
        )
        parts.append(pa.table(cols))
    wb.close()
    if not parts:
        return pa.table({})
    return pa.concat_tables(parts, promote_options="default")


def _json_scan(path: Path, newline_delimited: bool, columns: str | None = None) -> str:
    """``read_json`` of the file, the schema inferred from the whole file (or ``columns``, the
    DuckDB struct literal of names and types already inferred)."""
    fmt = "newline_delimited" if newline_delimited else "auto"
    schema = f"columns = {columns}" if columns else "sample_size = -1, union_by_name = true"
    return f"read_json({string(str(path))}, format = '{fmt}', {schema})"


def _read_json(path: Path, newline_delimited: bool) -> pa.Table:
    try:
        con = duckdb.connect()
        table: pa.Table = con.sql(
            f"SELECT * FROM {_json_scan(path, newline_delimited)}"
        ).to_arrow_table()
        con.close()
    except duckdb.Error as exc:
        raise ImportFileError(f"cannot read {path.name} as JSON: {exc}", field="file") from exc
    return table


# Types a JSON column keeps through an Arrow copy (leaves; structs and lists of them too): a
# file whose columns are all of these (or a top-level UUID, which the Arrow copy turns into its
# text) is landed by DuckDB straight to Parquet; any other goes the Arrow way, as before.
_JSON_DIRECT_LEAVES = {
    "VARCHAR", "BIGINT", "INTEGER", "DOUBLE", "BOOLEAN", "DATE", "TIMESTAMP",
    "TIMESTAMP WITH TIME ZONE",
}  # fmt: skip


def _keeps_through_arrow(t: Any) -> bool:
    if t.id in ("struct", "list"):
        return all(_keeps_through_arrow(child) for _name, child in t.children)
    return str(t) in _JSON_DIRECT_LEAVES


def _land_json(path: Path, newline_delimited: bool, meta: str, tmp: Path) -> int | None:
    """A JSON file streamed by DuckDB straight to Parquet: the schema inferred over the whole
    file (as ``_read_json``), then the rows read with that schema and written with no Arrow
    copy of the file in memory: the same columns, types and rows as the Arrow path (a UUID
    column as its text), ``_row`` the record's position. None when a column's type would not
    come through an Arrow copy unchanged, or the rows do not read with the inferred schema
    (the caller then takes the Arrow path, which reports a broken file)."""
    con = duckdb.connect()
    try:
        con.execute("SET preserve_insertion_order = true")
        try:  # binding the query infers the schema (one pass over the file)
            rel = con.sql(f"SELECT * FROM {_json_scan(path, newline_delimited)}")
        except duckdb.Error:
            return None  # the Arrow path reports the problem
        names, types = rel.columns, rel.types
        _reserved(path, names)
        if not all(str(t) == "UUID" or _keeps_through_arrow(t) for t in types):
            return None
        schema = (
            "{"
            + ", ".join(f"{string(n)}: {string(str(t))}" for n, t in zip(names, types, strict=True))
            + "}"
        )
        cols = ", ".join(
            f"CAST({_ident(n)} AS VARCHAR) AS {_ident(n)}" if str(t) == "UUID" else _ident(n)
            for n, t in zip(names, types, strict=True)
        )
        try:  # the rows read with that schema: no second inference pass
            con.execute(
                f"COPY (SELECT {cols}, row_number() OVER () AS _row, {meta} "
                f"FROM {_json_scan(path, newline_delimited, schema)}) "
                f"TO {string(str(tmp))} (FORMAT PARQUET)"
            )
        except duckdb.Error:
            return None  # e.g. a time format the inference read and the fixed schema does not
        row = con.execute(f"SELECT count(*) FROM read_parquet({string(str(tmp))})").fetchone()
        return int(row[0]) if row else 0
    finally:
        con.close()


def _land_streamed(path: Path, fmt: str, opts: FileOptions, meta: str, tmp: Path) -> int | None:
    """A CSV or JSON file landed by DuckDB without an Arrow copy; None when it must take the
    Arrow path (another format, or a file those readers leave to it)."""
    if fmt == "csv":
        return _land_csv(path, opts, meta, tmp)
    if fmt in ("jsonl", "json"):
        return _land_json(path, fmt == "jsonl", meta, tmp)
    return None


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def read_file(path: Path, fmt: str, opts: FileOptions) -> pa.Table:
    """Read a whole export into Arrow (row order kept; unreadable CSV records left out)."""
    return read_file_with_rejects(path, fmt, opts)[0]


def read_file_with_rejects(
    path: Path, fmt: str, opts: FileOptions
) -> tuple[pa.Table, list[Reject]]:
    if fmt == "csv":
        return _read_csv(path, opts)
    return _read_other(path, fmt, opts), []


def _read_other(path: Path, fmt: str, opts: FileOptions) -> pa.Table:
    if fmt == "xlsx":
        return _read_xlsx(path, opts)
    if fmt in ("jsonl", "json"):
        return _read_json(path, fmt == "jsonl")
    if fmt == "parquet":
        return pq.read_table(path)
    raise ImportFileError(f"unsupported format {fmt!r}", field="format")


def land_file(
    path: Path, fmt: str, opts: FileOptions, *, source: str, batch_id: str, dest: Path
) -> int:
    """Write the file's rows plus lineage columns to ``dest`` (atomically); returns rows."""
    return land_file_with_rejects(path, fmt, opts, source=source, batch_id=batch_id, dest=dest)[0]


def land_file_with_rejects(
    path: Path, fmt: str, opts: FileOptions, *, source: str, batch_id: str, dest: Path
) -> tuple[int, list[Reject]]:
    """As ``land_file``, also returning the records that could not be read (to quarantine);
    the landed rows keep their position in the file as ``_row``."""
    rejects: list[Reject] = []
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_suffix(".parquet.tmp")
    loaded_at = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    meta = (
        f"{string(source)} AS _source, {string(batch_id)} AS _batch_id, "
        f"{string(path.name)} AS _file, "
        f"TIMESTAMP '{loaded_at.isoformat(sep=' ')}' AS _loaded_at"
    )
    con = duckdb.connect()
    try:
        if fmt == "parquet":
            # fastest path: DuckDB streams Parquet → Parquet with the file's own row numbers
            try:
                con.execute(
                    f"COPY (SELECT * EXCLUDE (file_row_number), {meta}, "
                    f"file_row_number + 1 AS _row "
                    f"FROM read_parquet({string(str(path))}, file_row_number = true)) "
                    f"TO {string(str(tmp))} (FORMAT PARQUET)"
                )
            except duckdb.Error as exc:
                raise ImportFileError(
                    f"cannot read {path.name} as Parquet: {exc}", field="file"
                ) from exc
            row = con.execute(f"SELECT count(*) FROM read_parquet({string(str(tmp))})").fetchone()
            rows = int(row[0]) if row else 0
        elif (landed := _land_streamed(path, fmt, opts, meta, tmp)) is not None:
            rows = landed
        else:
            table, rejects = read_file_with_rejects(path, fmt, opts)
            _reserved(path, table.column_names)
            # each row's position among the file's records, the unreadable ones skipped
            positions = np.arange(1, table.num_rows + len(rejects) + 1, dtype=np.int64)
            if rejects:
                skipped = np.asarray(sorted({r.row for r in rejects}), np.int64)
                positions = positions[~np.isin(positions, skipped)]
            table = table.append_column("_row", pa.array(positions[: table.num_rows]))
            con.register("__raw", table)
            con.execute(
                f"COPY (SELECT *, {meta} FROM __raw) TO {string(str(tmp))} (FORMAT PARQUET)"
            )
            rows = table.num_rows
    finally:
        con.close()
    os.replace(tmp, dest)
    return rows, rejects
