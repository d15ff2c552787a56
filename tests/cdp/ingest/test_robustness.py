"""Finding 8 of the security review: imports never corrupt silently. CSV is parsed the same way
whatever a sniffer would guess (RFC 4180 doubled quotes undone), a bad row (ragged, a 10 MB
field) is quarantined with its reason while the good rows load, and counts reconcile; GBK, BOM,
formula strings and a truncated XLSX behave."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pytest
from sqlalchemy import select

from omniretail.cdp.ingest.errors import ImportFileError
from omniretail.cdp.ingest.models import QuarantineRecord
from omniretail.platform.config import get_settings
from omniretail.platform.db import session_scope
from tests.cdp.quality.helpers import import_text

MAPPING = """
source: shop
format: csv
options: {encoding: ENC}
entities:
  - kind: identity
    source_record_id: {column: card}
    fields:
      member_id: {column: card}
      name: {column: name}
"""


def _landed(batch_id: str) -> list[dict[str, Any]]:
    path = get_settings().landing_dir / "shop" / f"{batch_id}.parquet"
    return duckdb.sql(f"SELECT * FROM '{path}' ORDER BY _row").to_arrow_table().to_pylist()


def _quarantined() -> list[QuarantineRecord]:
    with session_scope() as s:
        return list(s.scalars(select(QuarantineRecord).order_by(QuarantineRecord.row)))


def test_doubled_quotes_are_undone(sqlite_session: Any, tmp_path: Path) -> None:
    f = tmp_path / "m.csv"
    f.write_text('card,name\nM1,"say ""hi"""\nM2,"电视 55"" 4K"\nM3,=HYPERLINK("x")\n')
    res = import_text(MAPPING.replace("ENC", "utf-8"), [f])
    names = [r["name"] for r in _landed(res[0].batch_id)]
    assert names == ['say "hi"', '电视 55" 4K', '=HYPERLINK("x")']  # kept as data, verbatim


@pytest.mark.parametrize("encoding", ["gbk", "utf-8-sig"])
def test_bad_rows_are_quarantined_and_good_rows_load(
    sqlite_session: Any, tmp_path: Path, encoding: str
) -> None:
    f = tmp_path / "m.csv"
    huge = "x" * (10 * 1024 * 1024)
    lines = [
        "card,name",
        "M1,张三",
        "M2,李四,extra,columns",
        f"M3,{huge}",
        "M4,王五",
        'M5,"a ""b"""',
    ]
    f.write_bytes(("\n".join(lines) + "\n").encode(encoding))
    res = import_text(MAPPING.replace("ENC", encoding), [f])
    landed = _landed(res[0].batch_id)
    assert [r["card"] for r in landed] == ["M1", "M4", "M5"]
    assert [r["_row"] for r in landed] == [1, 4, 5]  # positions in the file kept
    assert landed[0]["name"] == "张三"
    assert landed[2]["name"] == 'a "b"'
    bad = _quarantined()
    assert [(q.row, q.batch_id) for q in bad] == [(2, res[0].batch_id), (3, res[0].batch_id)]
    assert all(q.reason.startswith("unreadable_row:") for q in bad)
    assert res[0].rows == 3
    assert res[0].quarantined == 2
    assert res[0].rows + res[0].quarantined == len(lines) - 1  # counts reconcile


def test_truncated_xlsx_is_a_clear_error(sqlite_session: Any, tmp_path: Path) -> None:
    import openpyxl

    f = tmp_path / "m.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["card", "name"])
    ws.append(["M1", "张三"])
    wb.save(f)
    f.write_bytes(f.read_bytes()[: f.stat().st_size // 2])
    with pytest.raises(ImportFileError, match="cannot open m.xlsx"):
        import_text(MAPPING.replace("format: csv", "format: xlsx").replace("ENC", "utf-8"), [f])


ORDERS = """
source: shop
format: csv
entities:
  - kind: order
    fields:
      order_id: {column: order}
      ordered_at: {column: at}
      status: {column: status}
      paid_amount: {column: paid}
"""


def test_money_signs_are_validated_by_record_kind(sqlite_session: Any, tmp_path: Path) -> None:
    from tests.cdp.quality.helpers import standardize

    f = tmp_path / "orders.csv"
    f.write_text(
        "order,at,status,paid\n"
        "O1,2026-01-02 10:00:00,paid,10.00\n"
        "O2,2026-01-02 11:00:00,paid,-5\n"  # a paid order of -5 is not revenue
        "O3,2026-01-02 12:00:00,refunded,-5\n"  # a refund may be negative
    )
    import_text(ORDERS, [f])
    eng, _ = standardize()
    try:
        ids = [r["order_id"] for r in eng.fetch_rows("SELECT order_id FROM std_orders ORDER BY 1")]
    finally:
        eng.close()
    assert ids == ["O1", "O3"]
    reasons = {(q.row, q.reason) for q in _quarantined()}
    assert reasons == {(2, "negative_amount:order.paid_amount")}


def test_large_csv_streamed_to_parquet_keeps_each_record_position(
    sqlite_session: Any, tmp_path: Path
) -> None:
    """A UTF-8 CSV is landed by DuckDB straight to Parquet, read in parallel: every record
    keeps its position in the file as ``_row`` (here the card number is the position)."""
    f = tmp_path / "m.csv"
    n = 2_500_000  # ~40 MB: more than one of DuckDB's CSV buffers, so several threads read
    duckdb.execute(
        f"COPY (SELECT 'M' || CAST(i AS VARCHAR) AS card, 'n' || CAST(i * 7 AS VARCHAR) AS name "
        f"FROM range(1, {n + 1}) r(i)) TO '{f}' (HEADER, DELIMITER ',')"
    )
    res = import_text(MAPPING.replace("ENC", "utf-8"), [f])
    assert res[0].rows == n
    assert res[0].quarantined == 0
    path = get_settings().landing_dir / "shop" / f"{res[0].batch_id}.parquet"
    bad = duckdb.sql(
        f"SELECT count(*) FROM read_parquet('{path}', file_row_number = true) "
        "WHERE card <> 'M' || CAST(_row AS VARCHAR) OR _row <> file_row_number + 1 "
        "OR name <> 'n' || CAST(_row * 7 AS VARCHAR)"
    ).fetchall()
    assert bad == [(0,)]
