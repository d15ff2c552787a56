"""Rejected rows are quarantined with source, batch, file, row and reason; they can be fixed
and re-processed; a rerun or a re-import never double counts."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

from omniretail.cdp.ingest.models import QuarantineRecord
from omniretail.cdp.quality import service
from omniretail.platform.db import session_scope
from tests.cdp.quality.helpers import import_text, standardize

SALES = """小票号,行号,会员卡号,销售时间,商品编码,数量,实收金额,单据状态
T1,1,M01,2025-03-01 10:00:00,100001,2,19.80,正常
T1,2,M01,2025-03-01 10:00:00,100002,1,9.90,正常
T2,1,,2025-03-02 11:00:00,100001,1,9.90,正常
T3,1,M02,2025-13-45 25:00:00,100003,1,5.00,正常
T4,1,M03,2025-03-04 09:00:00,,1,5.00,退货
,1,M03,2025-03-04 09:00:00,100001,1,5.00,正常
"""

MAPPING = """
source: pos_sales
format: csv
quarantine:
  - reason: missing_sku
    when: 商品编码 IS NULL
entities:
  - kind: identity
    when: 会员卡号 IS NOT NULL
    source_record_id: {column: 会员卡号}
    fields:
      member_id: {column: 会员卡号}
  - kind: order
    fields:
      order_id: {column: 小票号}
      record_key: {entity: identity}
      ordered_at: {column: 销售时间, type: timestamp, formats: ["%Y-%m-%d %H:%M:%S"]}
      status: {column: 单据状态, map: {正常: paid, 作废: cancelled, 退货: returned}}
      paid_amount: {column: 实收金额, type: decimal, aggregate: sum}
      channel_code: {value: pos}
  - kind: order_line
    fields:
      order_id: {column: 小票号}
      line_no: {column: 行号, type: int}
      sku: {column: 商品编码}
      quantity: {column: 数量, type: decimal}
      amount: {column: 实收金额, type: decimal}
"""


def _setup(tmp_path: Path) -> Path:
    f = tmp_path / "sales.csv"
    f.write_text(SALES, encoding="utf-8")
    import_text(MAPPING, [f])
    return f


def test_rejected_rows_are_quarantined_with_position_and_reason(
    sqlite_session: Any, tmp_path: Path
) -> None:
    _setup(tmp_path)
    eng, out = standardize()
    try:
        orders = {r["order_id"]: r for r in eng.fetch_rows("SELECT * FROM std_orders")}
        lines = eng.fetch_rows("SELECT order_id, line_no FROM std_order_lines ORDER BY 1, 2")
    finally:
        eng.close()
    assert set(orders) == {"T1", "T2"}
    assert orders["T1"]["paid_amount"] == Decimal("29.70")
    assert orders["T1"]["record_key"] == "pos_sales:M01"
    assert orders["T2"]["record_key"] is None  # anonymous walk-in kept, not dropped
    assert lines == [
        {"order_id": "T1", "line_no": 1},
        {"order_id": "T1", "line_no": 2},
        {"order_id": "T2", "line_no": 1},
    ]
    with session_scope() as s:
        recs = service.list_quarantine(s, source="pos_sales")
        rep = service.report(s, source="pos_sales")[0]
    got = sorted((r.row, r.reason, r.file) for r in recs)
    assert got == [
        (4, "invalid:order.ordered_at", "sales.csv"),
        (5, "missing_sku", "sales.csv"),
        (6, "missing:order.order_id", "sales.csv"),
    ]
    assert recs[0].raw["小票号"] in ("T3", "T4", None)
    assert rep["quarantined_by_reason"] == {
        "invalid:order.ordered_at": 1,
        "missing:order.order_id": 1,
        "missing_sku": 1,
    }
    assert rep["rows_read"] == 6
    assert rep["accepted"] == 3
    assert out["quarantine"]["pos_sales"]["added"] == 3


def test_fix_and_reprocess_then_rerun_does_not_double_count(
    sqlite_session: Any, tmp_path: Path
) -> None:
    f = _setup(tmp_path)
    eng, _ = standardize()
    eng.close()
    with session_scope() as s:
        rec = next(
            r for r in service.list_quarantine(s, source="pos_sales")
            if r.reason == "invalid:order.ordered_at"
        )  # fmt: skip
        service.fix_record(s, record_id=rec.id, set_values={"销售时间": "2025-03-03 12:00:00"})
        rec_id = rec.id
    eng, out = standardize()
    try:
        orders = {r["order_id"]: r for r in eng.fetch_rows("SELECT * FROM std_orders")}
    finally:
        eng.close()
    assert str(orders["T3"]["ordered_at"]) == "2025-03-03 12:00:00"
    assert out["quarantine"]["pos_sales"] == {"added": 0, "reopened": 0, "reprocessed": 1}
    with session_scope() as s:
        assert s.get(QuarantineRecord, rec_id).status == "reprocessed"  # type: ignore[union-attr]
        assert service.report(s, source="pos_sales")[0]["quarantine_open"] == 2
    # importing the same file again and re-running changes nothing
    res = import_text(MAPPING, [f])
    assert res[0].status == "already_imported"
    eng, out = standardize()
    try:
        assert eng.scalar("SELECT count(*) FROM std_orders") == 3
    finally:
        eng.close()
    assert out["quarantine"]["pos_sales"] == {"added": 0, "reopened": 0, "reprocessed": 0}
    with session_scope() as s:
        assert s.query(QuarantineRecord).count() == 3


def test_a_fix_that_is_still_wrong_reopens_the_record(sqlite_session: Any, tmp_path: Path) -> None:
    _setup(tmp_path)
    standardize()[0].close()
    with session_scope() as s:
        rec = service.list_quarantine(s, source="pos_sales", reason="missing_sku")[0]
        service.fix_record(s, record_id=rec.id, set_values={"商品编码": ""}, note="oops")
    _, out = standardize()
    _.close()
    assert out["quarantine"]["pos_sales"]["reopened"] == 1
    with session_scope() as s:
        rec2 = service.list_quarantine(s, source="pos_sales", reason="missing_sku")[0]
        assert rec2.status == "open"
        assert "still rejected" in (rec2.note or "")


def test_quality_api_lists_and_fixes(client: Any, tmp_path: Path) -> None:
    _setup(tmp_path)
    standardize()[0].close()
    rep = client.get("/api/v1/quality/report").json()
    assert rep[0]["source"] == "pos_sales"
    assert rep[0]["quarantined"] == 3
    recs = client.get("/api/v1/quality/quarantine", params={"reason": "missing_sku"}).json()
    assert [r["row"] for r in recs] == [5]
    r = client.patch(
        f"/api/v1/quality/quarantine/{recs[0]['id']}", json={"set": {"商品编码": "100009"}}
    )
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "fixed"
    r = client.patch(f"/api/v1/quality/quarantine/{recs[0]['id']}", json={"set": {"nope": "x"}})
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "set"
    assert client.get("/api/v1/quality/quarantine/999999").status_code == 404
    _, out = standardize()
    _.close()
    assert out["quarantine"]["pos_sales"]["reprocessed"] == 1
