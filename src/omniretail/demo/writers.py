"""File writers for the exports: byte-for-byte deterministic CSV, JSON lines, Parquet and XLSX."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import BinaryIO

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
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


def write_jsonl(table: pa.Table, path: Path, select: str = "*", hashed: str | None = None) -> int:
    """JSON lines through DuckDB (nested lists/structs become JSON arrays/objects).

    ``select`` may rebuild columns, e.g. ``struct_pack(...)``; the row order is preserved.
    With ``hashed`` a column ``h`` = md5(hashed || n) is available (``n`` a row number column)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    try:
        con.execute(
            "SET threads TO 2; SET preserve_insertion_order = true; SET enable_progress_bar = false"
        )
        con.register("src", table)
        source = "src" if hashed is None else f"(SELECT *, md5('{hashed}' || n) AS h FROM src)"
        con.execute(f"COPY (SELECT {select} FROM {source}) TO '{path.as_posix()}' (FORMAT JSON)")
    finally:
        con.close()
    return int(table.num_rows)


def write_xlsx(table: pa.Table, path: Path, sheet: str) -> int:
    """A single-sheet XLSX workbook (Office Open XML, inline strings; numbers as numbers,
    dates and times as text cells the way many back offices export them).

    Written directly from Arrow columns: openpyxl spends ~30 µs per cell, too slow for the
    larger worlds; openpyxl and pandas read these files back (see the tests)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    header = (
        "<row>"
        + "".join(f'<c t="inlineStr"><is><t>{_esc(c)}</t></is></c>' for c in table.column_names)
        + "</row>"
    )
    cells = [_xlsx_cells(col) for col in table.columns]
    rows = (
        pc.binary_join_element_wise("<row>", *cells, "</row>", "")
        if cells
        else pa.array([], pa.string())
    )
    body = "\n".join(rows.to_pylist()) if len(rows) else ""
    sheet_xml = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<worksheet xmlns="{_NS_MAIN}"><sheetData>{header}\n{body}</sheetData></worksheet>'
    )
    parts = {
        "[Content_Types].xml": _CONTENT_TYPES,
        "_rels/.rels": _ROOT_RELS,
        "xl/workbook.xml": _WORKBOOK.format(sheet=_esc(sheet)),
        "xl/_rels/workbook.xml.rels": _WORKBOOK_RELS,
        "xl/styles.xml": _STYLES,
        "xl/worksheets/sheet1.xml": sheet_xml,
    }
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, text in parts.items():
            info = zipfile.ZipInfo(name, date_time=_FIXED_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, text.encode("utf-8"))
    return int(table.num_rows)


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _xlsx_cells(col: pa.ChunkedArray) -> pa.Array:
    """One ``<c>`` element per value; empty cells for nulls."""
    arr = col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col
    t = arr.type
    if pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_decimal(t):
        text = pc.cast(arr, pa.string())
        cell = pc.binary_join_element_wise("<c><v>", text, "</v></c>", "")
    elif pa.types.is_boolean(t):
        text = pc.if_else(arr, "1", "0")
        cell = pc.binary_join_element_wise('<c t="b"><v>', text, "</v></c>", "")
    else:
        text = pc.cast(arr, pa.string()) if not pa.types.is_string(t) else arr
        if pa.types.is_timestamp(t):
            text = pc.strftime(arr, format="%Y-%m-%d %H:%M:%S")
        for a, b in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;")):
            text = pc.replace_substring(text, a, b)
        cell = pc.binary_join_element_wise('<c t="inlineStr"><is><t>', text, "</t></is></c>", "")
    return pc.fill_null(cell, "<c/>")


_NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_NS_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_NS_PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/styles.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    "</Types>"
)
_ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    f'<Relationships xmlns="{_NS_PKG}"><Relationship Id="rId1" '
    f'Type="{_NS_REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    f'<workbook xmlns="{_NS_MAIN}" xmlns:r="{_NS_REL}"><sheets>'
    '<sheet name="{sheet}" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    f'<Relationships xmlns="{_NS_PKG}">'
    f'<Relationship Id="rId1" Type="{_NS_REL}/worksheet" Target="worksheets/sheet1.xml"/>'
    f'<Relationship Id="rId2" Type="{_NS_REL}/styles" Target="styles.xml"/></Relationships>'
)
_STYLES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    f'<styleSheet xmlns="{_NS_MAIN}">'
    '<fonts count="1"><font><sz val="11"/><name val="等线"/></font></fonts>'
    '<fills count="1"><fill><patternFill patternType="none"/></fill></fills>'
    '<borders count="1"><border/></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)


# -- Arrow string helpers (C++ kernels instead of per-value Python) ---------------------------


def take(values: Arr | pa.Array, idx: Arr, mask: Arr | None = None) -> pa.Array:
    """``values[idx]`` as an Arrow array; null where ``mask`` is true."""
    vocab = values if isinstance(values, pa.Array) else pa.array(values)
    out = vocab.take(pa.array(np.maximum(idx, 0)))
    if mask is not None:
        out = pc.if_else(pa.array(mask), pa.scalar(None, out.type), out)
    return out


def padded(values: Arr, width: int) -> pa.Array:
    """Integers as zero-padded digit strings."""
    return pc.utf8_lpad(pa.array(np.asarray(values, np.int64)).cast(pa.string()), width, "0")


def concat(*parts: pa.Array | str) -> pa.Array:
    """Element-wise string concatenation (plain strings are broadcast)."""
    return pc.binary_join_element_wise(*parts, "")


def as_text(values: Arr) -> pa.Array:
    return pa.array(np.asarray(values, np.int64)).cast(pa.string())


def json_escape(text: pa.Array) -> pa.Array:
    """Escape backslashes and double quotes for embedding in a JSON string."""
    return pc.replace_substring(pc.replace_substring(text, "\\", "\\\\"), '"', '\\"')


def write_string_buffer(fh: BinaryIO, lines: pa.Array) -> None:
    """Write the concatenated values of a string array (each value already ends with a newline)."""
    if len(lines) == 0:
        return
    if lines.null_count:
        raise ValueError("cannot write null lines")
    offsets = np.frombuffer(lines.buffers()[1], np.int32)[
        lines.offset : lines.offset + len(lines) + 1
    ]
    data = lines.buffers()[2]
    fh.write(memoryview(data)[int(offsets[0]) : int(offsets[-1])])


_TIME_OF_DAY: pa.Array | None = None


def _time_of_day() -> pa.Array:
    global _TIME_OF_DAY
    if _TIME_OF_DAY is None:
        secs = np.arange(86400)
        hh, mm, ss = secs // 3600, secs // 60 % 60, secs % 60
        _TIME_OF_DAY = concat(padded(hh, 2), ":", padded(mm, 2), ":", padded(ss, 2))
    return _TIME_OF_DAY


def day_text(day: Arr, fmt: str = "%Y-%m-%d") -> pa.Array:
    """World day indices as date strings (``%Y-%m-%d``, ``%Y%m%d`` or ``%Y/%m/%d``)."""
    from omniretail.demo.calendar import START

    lo = int(np.min(day, initial=0))
    hi = int(np.max(day, initial=0))
    dates = START + np.arange(lo, hi + 1).astype("timedelta64[D]")
    vocab = pc.strftime(pa.array(dates.astype("datetime64[s]")), format=fmt)
    return vocab.take(pa.array(np.asarray(day, np.int64) - lo))


def ts_text(
    day: Arr, secs: Arr, fmt: str = "%Y-%m-%d", sep: str = " ", suffix: str = ""
) -> pa.Array:
    """Local timestamps as text: the date in ``fmt``, ``sep``, ``HH:MM:SS`` and ``suffix``."""
    tod = _time_of_day().take(pa.array(np.clip(secs, 0, 86399).astype(np.int64)))
    parts: list[pa.Array | str] = [day_text(day, fmt), sep, tod]
    if suffix:
        parts.append(suffix)
    return concat(*parts)


def json_str(values: pa.Array) -> pa.Array:
    """A JSON string literal per value, ``null`` for nulls."""
    quoted = concat('"', json_escape(values), '"')
    return pc.fill_null(quoted, "null")


def json_num(values: Arr) -> pa.Array:
    return pa.array(np.asarray(values)).cast(pa.string())
