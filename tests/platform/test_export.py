"""Finding 7 of the security review: one export writer neutralises formula-leading cells
(OWASP's CSV injection rule) in every CSV and XLSX the system writes."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from pathlib import Path

import openpyxl
import pyarrow as pa

from omniretail.platform import export

EVIL = ['=HYPERLINK("http://x","y")', "=1+2", "@SUM(1)", "+1+1", "-1+2", "\t=1", "\r=1"]


def test_formula_leading_text_is_prefixed_with_a_quote() -> None:
    for value in EVIL:
        safe = export.safe_cell(value)
        assert isinstance(safe, str)
        assert safe == "'" + value, value
    # numbers and plain text stay as they are (a negative amount is not a formula)
    for value in (-5, Decimal("-1.50"), 3.5, "-5", "-1.5", "1e3", "武汉店", "", None, "a=b"):
        assert export.safe_cell(value) == value


def test_csv_text_writes_neutralised_cells_and_a_bom() -> None:
    text = export.csv_text([{"name": v, "n": -1} for v in EVIL], columns=["name", "n"])
    assert text.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"), newline="")))
    assert [r["name"] for r in rows] == ["'" + v for v in EVIL]
    assert {r["n"] for r in rows} == {"-1"}


def test_xlsx_cells_are_text_not_formulas(tmp_path: Path) -> None:
    path = tmp_path / "out.xlsx"
    path.write_bytes(export.xlsx_bytes([{"name": v, "n": 2} for v in EVIL], columns=["name", "n"]))
    ws = openpyxl.load_workbook(path).active
    assert ws is not None
    cells = [ws.cell(row=i, column=1) for i in range(2, len(EVIL) + 2)]
    assert all(c.data_type == "s" for c in cells)
    # (XML stores a carriage return as a line feed)
    assert [c.value for c in cells] == ["'" + v.replace("\r", "\n") for v in EVIL]
    assert ws.cell(row=2, column=2).value == 2


def test_arrow_tables_are_neutralised_for_bulk_csv(tmp_path: Path) -> None:
    table = pa.table({"id": ["C1", "C2", "C3"], "tag": ["=1+2", "-7", "ok"], "v": [-1, 2, 3]})
    out = tmp_path / "t.csv"
    export.write_arrow_csv(table, out)
    rows = list(csv.DictReader(out.open(encoding="utf-8-sig")))
    assert [r["tag"] for r in rows] == ["'=1+2", "-7", "ok"]
    assert [r["v"] for r in rows] == ["-1", "2", "3"]


def test_appended_rows_are_neutralised(tmp_path: Path) -> None:
    out = tmp_path / "messages.csv"
    export.append_csv_row(out, ["key", "body"], ["k1", "=1+2"])
    export.append_csv_row(out, ["key", "body"], ["k2", "hello"])
    rows = list(csv.DictReader(out.open(encoding="utf-8", newline="")))
    assert [r["body"] for r in rows] == ["'=1+2", "hello"]


def test_headers_in_the_readers_words_and_tidy_numbers() -> None:
    from omniretail.platform.export import csv_text

    text = csv_text(
        [{"sales": 3799943.3000000003, "share": 0.1 + 0.2, "fee": 2.005, "n": 3, "name": "=x"}],
        labels={"sales": "销售额", "share": "占比", "fee": "费用"},
        money={"sales", "fee"},
    )
    header, row = text.lstrip("\ufeff").splitlines()
    assert header == "销售额,占比,费用,n,name"
    assert row == "3799943.30,0.3,2.00,3,'=x"  # money to 2 decimals, no float noise
