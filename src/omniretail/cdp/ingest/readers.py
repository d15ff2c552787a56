"""Read a channel export (CSV, XLSX, Parquet, JSON lines/JSON) and land it as raw Parquet.

Raw rows are kept as read: CSV and XLSX cells as text (so phone numbers and codes keep
their leading zeros), Parquet and JSON with their own types. Each landed row gets
``_source``, ``_batch_id``, ``_file``, ``_row`` (1-based position in the file) and
``_loaded_at``; XLSX rows also ``_sheet`` and ``_sheet_row`` (the row number Excel shows).
"""

from __future__ import annotations

import codecs
import datetime as dt
import hashlib
import os
import tempfile
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
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


def _read_csv(path: Path, opts: FileOptions) -> pa.Table:
    enc = opts.encoding.lower()
    src = path if enc in UTF8_NAMES else _transcode_to_utf8(path, opts.encoding)
    try:
        con = duckdb.connect()
        nulls = "[" + ", ".join(string(v) for v in opts.null_values) + "]"
        rel = con.sql(
            f"SELECT * FROM read_csv({string(str(src))}, all_varchar = true, "
            f"delim = {string(opts.delimiter)}, quote = {string(opts.quote)}, "
            f"header = {str(opts.header).lower()}, skip = {opts.skip_rows}, "
            f"nullstr = {nulls}, strict_mode = false)"
        )
        table: pa.Table = rel.to_arrow_table()
        con.close()
    except duckdb.Error as exc:
        raise ImportFileError(f"cannot read {path.name} as CSV: {exc}", field="file") from exc
    finally:
        if src != path:
            src.unlink(missing_ok=True)
    if table.num_columns and table.column_names[0].startswith("\ufeff"):
        table = table.rename_columns([table.column_names[0][1:], *table.column_names[1:]])
    return table


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


def _read_json(path: Path, newline_delimited: bool) -> pa.Table:
    fmt = "newline_delimited" if newline_delimited else "auto"
    try:
        con = duckdb.connect()
        table: pa.Table = con.sql(
            f"SELECT * FROM read_json({string(str(path))}, format = '{fmt}', "
            "sample_size = -1, union_by_name = true)"
        ).to_arrow_table()
        con.close()
    except duckdb.Error as exc:
        raise ImportFileError(f"cannot read {path.name} as JSON: {exc}", field="file") from exc
    return table


def read_file(path: Path, fmt: str, opts: FileOptions) -> pa.Table:
    """Read a whole export into Arrow (row order kept)."""
    if fmt == "csv":
        return _read_csv(path, opts)
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
        else:
            table = read_file(path, fmt, opts)
            clash = [
                c
                for c in table.column_names
                if c in META_COLUMNS and c not in ("_sheet", "_sheet_row")
            ]
            if clash:
                raise ImportFileError(f"{path.name}: column {clash[0]!r} is reserved", field="file")
            table = table.append_column("_row", pa.array(range(1, table.num_rows + 1), pa.int64()))
            con.register("__raw", table)
            con.execute(
                f"COPY (SELECT *, {meta} FROM __raw) TO {string(str(tmp))} (FORMAT PARQUET)"
            )
            rows = table.num_rows
    finally:
        con.close()
    os.replace(tmp, dest)
    return rows
