"""File writers for the exports: byte-for-byte deterministic CSV, JSON lines, Parquet and XLSX."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from omniretail.demo.rand import Arr

_FIXED_ZIP_TIME = (2026, 10, 31, 0, 0, 0)


def money(x: Arr) -> pa.Array:
    """CNY amounts with two decimals (DECIMAL(12,2) prints as ``12.90``)."""
    return pa.array(np.round(np.asarray(x, float), 2)).cast(pa.decimal128(12, 2), safe=False)


def timestamps(day: Arr, secs: Arr) -> pa.Array:
    """Local timestamps (no zone) from a world day index and seconds since midnight."""
    from omniretail.demo.calendar import START

    t = START.astype("datetime64[s]") + (day.astype(np.int64) * 86400 + secs).astype(
        "timedelta64[s]"
    )
    return pa.array(t)


def write_csv(table: pa.Table, path: Path, *, bom: bool = False, encoding: str = "utf-8") -> int:
    """Write a CSV (header row, quoting where needed). Returns the number of rows."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if encoding == "utf-8":
        with path.open("wb") as fh:
            if bom:
                fh.write(b"\xef\xbb\xbf")
            pacsv.write_csv(table, fh)
    else:
        buf = io.BytesIO()
        pacsv.write_csv(table, buf)
        path.write_bytes(buf.getvalue().decode("utf-8").encode(encoding))
    return int(table.num_rows)


def write_parquet(table: pa.Table, path: Path) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path, compression="zstd")
    return int(table.num_rows)


def write_jsonl(table: pa.Table, path: Path, select: str = "*") -> int:
    """JSON lines through DuckDB (nested lists/structs become JSON arrays/objects).

    ``select`` may rebuild columns, e.g. ``struct_pack(...)``; the row order is preserved."""
    path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    try:
        con.execute("SET threads TO 2; SET preserve_insertion_order = true")
        con.register("src", table)
        con.execute(
            f"COPY (SELECT {select} FROM src) TO '{path.as_posix()}' (FORMAT JSON)"  # noqa: S608
        )
    finally:
        con.close()
    return int(table.num_rows)


def write_xlsx(table: pa.Table, path: Path, sheet: str) -> int:
    """An XLSX workbook with one sheet; zip entry times are fixed so the bytes are stable."""
    from openpyxl import Workbook

    path.parent.mkdir(parents=True, exist_ok=True)
    wb = Workbook(write_only=True)
    wb.properties.created = wb.properties.modified = _fixed_datetime()
    ws = wb.create_sheet(sheet)
    ws.append(table.column_names)
    cols: list[list[Any]] = [c.to_pylist() for c in table.columns]
    for row in zip(*cols, strict=True):
        ws.append([_cell(v) for v in row])
    buf = io.BytesIO()
    wb.save(buf)
    _normalise_zip(buf.getvalue(), path)
    return int(table.num_rows)


def _cell(v: Any) -> Any:
    from decimal import Decimal

    return float(v) if isinstance(v, Decimal) else v


def _fixed_datetime() -> Any:
    from datetime import datetime

    return datetime(*_FIXED_ZIP_TIME)


def _normalise_zip(data: bytes, path: Path) -> None:
    """Rewrite a zip with fixed entry timestamps and a stable docProps/core.xml."""
    src = zipfile.ZipFile(io.BytesIO(data))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for info in src.infolist():
            payload = src.read(info.filename)
            fixed = zipfile.ZipInfo(info.filename, date_time=_FIXED_ZIP_TIME)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = info.external_attr
            out.writestr(fixed, payload)
