"""Bulk import of every supported format into append-only landing Parquet."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb
import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from omniretail.cdp.ingest.errors import ImportFileError, MappingError
from omniretail.cdp.ingest.models import LandingBatch
from omniretail.platform.config import get_settings
from omniretail.platform.db import session_scope
from tests.cdp.quality.helpers import import_text, standardize

ROWS = [("M01", "張三", "0138-1234-5678"), ("M02", "李四", "13987654321")]


def _mapping(fmt: str, options: str = "") -> str:
    return f"""
source: shop
format: {fmt}
{options}
entities:
  - kind: identity
    source_record_id: {{column: card}}
    fields:
      member_id: {{column: card}}
      name: {{column: name}}
      phone: {{column: phone}}
"""


def _landed(batch_id: str) -> list[dict[str, Any]]:
    path = get_settings().landing_dir / "shop" / f"{batch_id}.parquet"
    rows: list[dict[str, Any]] = (
        duckdb.sql(f"SELECT * FROM '{path}' ORDER BY _row").to_arrow_table().to_pylist()
    )
    return rows


def _check_records() -> None:
    eng, _ = standardize()
    try:
        recs = eng.fetch_rows("SELECT member_id, name, phone FROM std_identity_records ORDER BY 1")
    finally:
        eng.close()
    assert recs == [
        {"member_id": "M01", "name": "张三", "phone": "+8613812345678"},  # trunk 0 dropped
        {"member_id": "M02", "name": "李四", "phone": "+8613987654321"},
    ]


@pytest.mark.parametrize("encoding", ["gbk", "gb18030", "utf-8-sig", "utf-8"])
def test_csv_encodings_and_delimiter(sqlite_session: Any, tmp_path: Path, encoding: str) -> None:
    f = tmp_path / "members.csv"
    text = "card;name;phone\n" + "".join(f"{a};{b};{c}\n" for a, b, c in ROWS)
    f.write_bytes(text.encode(encoding))
    res = import_text(_mapping("csv", f"options: {{delimiter: ';', encoding: {encoding}}}"), [f])
    assert res[0].rows == 2
    assert res[0].status == "landed"
    landed = _landed(res[0].batch_id)
    assert [r["card"] for r in landed] == ["M01", "M02"]
    assert landed[0]["phone"] == "0138-1234-5678"  # kept as read: text, leading zero intact
    assert {r["_row"] for r in landed} == {1, 2}
    assert landed[0]["_source"] == "shop"
    assert landed[0]["_file"] == "members.csv"
    _check_records()


def test_wrong_encoding_is_a_clear_error(sqlite_session: Any, tmp_path: Path) -> None:
    f = tmp_path / "members.csv"
    f.write_bytes("card,name,phone\nM01,張三,1\n".encode("utf-16"))
    with pytest.raises(ImportFileError, match="not valid gbk"):
        import_text(_mapping("csv", "options: {encoding: gbk}"), [f])


def test_xlsx_sheets(sqlite_session: Any, tmp_path: Path) -> None:
    f = tmp_path / "members.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "2024"
    ws.append(["card", "name", "phone"])
    ws.append(list(ROWS[0]))
    ws2 = wb.create_sheet("2025")
    ws2.append(["card", "name", "phone"])
    ws2.append(["M02", "李四", 13987654321])  # a number cell: landed as text without ".0"
    wb.save(f)
    res = import_text(_mapping("xlsx"), [f])
    landed = _landed(res[0].batch_id)
    assert [(r["_sheet"], r["_sheet_row"], r["_row"]) for r in landed] == [
        ("2024", 2, 1),
        ("2025", 2, 2),
    ]
    assert landed[1]["phone"] == "13987654321"
    _check_records()
    with pytest.raises(ImportFileError, match="no sheet 'x'"):
        import_text(
            _mapping("xlsx", "options: {sheets: [x]}"), [tmp_path / "members.xlsx"], source="other"
        )


def test_parquet_and_json_lines(sqlite_session: Any, tmp_path: Path) -> None:
    pf = tmp_path / "a.parquet"
    pq.write_table(pa.table({"card": ["M01"], "name": ["張三"], "phone": ["0138-1234-5678"]}), pf)
    jf = tmp_path / "b.jsonl"
    jf.write_text(
        json.dumps({"card": "M02", "name": "李四", "phone": "13987654321"}, ensure_ascii=False)
        + "\n"
    )
    r1 = import_text(_mapping("parquet"), [pf])
    r2 = import_text(_mapping("jsonl"), [jf])
    assert _landed(r1[0].batch_id)[0]["_row"] == 1
    assert r2[0].rows == 1
    _check_records()


def test_reimport_is_detected_by_sha256(sqlite_session: Any, tmp_path: Path) -> None:
    f = tmp_path / "members.csv"
    f.write_text("card,name,phone\nM01,張三,13812345678\n", encoding="utf-8")
    first = import_text(_mapping("csv"), [f])
    copy = tmp_path / "renamed.csv"
    copy.write_bytes(f.read_bytes())
    again = import_text(_mapping("csv"), [copy])
    assert again[0].status == "already_imported"
    assert again[0].batch_id == first[0].batch_id
    with session_scope() as s:
        assert s.query(LandingBatch).count() == 1
    other_source = import_text(_mapping("csv"), [f], source="shop2")
    assert other_source[0].status == "landed"


def test_mapping_column_missing_from_the_file(sqlite_session: Any, tmp_path: Path) -> None:
    f = tmp_path / "members.csv"
    f.write_text("card,nom,phone\nM01,x,1\n", encoding="utf-8")
    import_text(_mapping("csv"), [f])
    with pytest.raises(
        MappingError, match=r"entities\[0\].fields.name.column: the file has no column 'name'"
    ):
        standardize()


def test_source_name_is_checked(sqlite_session: Any, tmp_path: Path) -> None:
    f = tmp_path / "m.csv"
    f.write_text("card,name,phone\n", encoding="utf-8")
    with pytest.raises(MappingError, match="source name"):
        import_text(_mapping("csv"), [f], source="Bad Name")


def _arrow_landing(path: Path, fmt: str, dest: Path) -> pa.Table:
    """What the Arrow path lands for a JSON file (the way every JSON file was landed before
    DuckDB streamed them): the rows read into Arrow, ``_row`` their position."""
    from omniretail.cdp.ingest.mapping import FileOptions
    from omniretail.cdp.ingest.readers import read_file

    table = read_file(path, fmt, FileOptions())
    table = table.append_column("_row", pa.array(range(1, table.num_rows + 1), pa.int64()))
    con = duckdb.connect()
    con.register("__raw", table)
    con.execute(f"COPY (SELECT *, 'src' AS _source FROM __raw) TO '{dest}' (FORMAT PARQUET)")
    con.close()
    return pq.read_table(dest)


@pytest.mark.parametrize(("fmt", "mixed"), [("jsonl", False), ("jsonl", True), ("json", False)])
def test_json_landed_by_duckdb_equals_the_arrow_path(tmp_path: Path, fmt: str, mixed: bool) -> None:
    """Nested objects, lists, UUIDs, times with an offset, missing keys and nulls: the streamed
    landing has the Arrow path's columns, types, values and row positions; a column of mixed
    types (DuckDB's JSON type) makes the file take the Arrow path."""
    from omniretail.cdp.ingest.mapping import FileOptions
    from omniretail.cdp.ingest.readers import land_file

    records = [
        {"messageId": "fa9ffb8f-a01c-476d-db68-2566ee68a73d", "event": "Product Viewed",
         "timestamp": "2024-11-01T00:00:00+08:00", "n": 3, "x": 1.5, "ok": True,
         "context": {"app": "miniprogram", "tags": ["a", "b"]}, "day": "2024-11-01"},
        {"messageId": "D9B76503-19C0-446A-B86B-38DD200D2D0E", "event": None,
         "timestamp": "2024-11-02T23:59:59.5+08:00", "n": None, "ok": False,
         "context": {"app": "app"}, "properties": {"sku": "101084"}},
        {"messageId": "01134741-ef95-4228-465b-b3f677ea1fcb", "event": "门店到访",
         "timestamp": "2024-11-03T08:00:00Z", "x": -2.0, "properties": {"sku": None}},
    ]  # fmt: skip
    if mixed:
        records[1]["n"] = "three"
        records[2]["n"] = {"v": 3}
    f = tmp_path / f"events.{fmt}"
    if fmt == "jsonl":
        f.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), "utf-8")
    else:  # one JSON array of the records
        f.write_text(json.dumps(records, ensure_ascii=False, indent=1), "utf-8")
    dest = tmp_path / "landed.parquet"
    rows = land_file(f, fmt, FileOptions(), source="src", batch_id="b1", dest=dest)
    assert rows == len(records)
    got = pq.read_table(dest).drop_columns(["_batch_id", "_file", "_loaded_at"])
    want = _arrow_landing(f, fmt, tmp_path / "arrow.parquet")
    assert got.schema == want.schema
    assert got.to_pylist() == want.to_pylist()
    assert got.column("messageId").to_pylist()[1] == "d9b76503-19c0-446a-b86b-38dd200d2d0e"
    from omniretail.cdp.ingest import readers

    streamed = readers._land_json(
        f, fmt == "jsonl", "'src' AS _source", tmp_path / "direct.parquet"
    )
    assert (streamed is None) == mixed  # the mixed column sends the file the Arrow way
