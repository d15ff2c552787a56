"""The standardize step on both engines: the same std_/dim_ tables, quarantine and statistics
from the same landed files — exact copies and duplicate keys (the hash-prefiltered ranks), the
Python pass's value map, classifiers, a source with two mappings (its records merged), lists
exploded into lines, fixed quarantine records swapped in, and the statistics' one query."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from omniretail.cdp.ingest.models import QuarantineRecord
from omniretail.cdp.quality import service
from omniretail.cdp.quality.models import QualityStats
from omniretail.cdp.quality.pipeline import standardize_all
from omniretail.platform.config import get_settings
from omniretail.platform.db import session_scope
from omniretail.platform.engine.base import AnalyticsEngine
from omniretail.platform.engine.duckdb import DuckDBEngine
from omniretail.platform.pipeline import PipelineContext
from tests.cdp.quality.helpers import import_text
from tests.parity import _norm

pytestmark = [pytest.mark.spark, pytest.mark.slow]

MEMBERS = """\ufeff会员卡号,姓名,手机号,生日,性别,省,市,开卡门店
M01,張三,13812345678,1990/5/3,男,廣東省,廣州市,S001
M02, 李  四 ,+86 139 8765 4321,2099-01-01,女,,广州市,S001
M03,ＬＩ　Ｍｉｎｇ,0086-137-1234-5678,1900-01-01,未知,浙江省,杭州市,S002
M04,王五,１３６１２３４５６７８,1990-02-30,女,,,S002
M05,赵六,138****5678,,F,,,S002
M06,钱七,12345,,M,,,S002
M07,测试,13711112222,,,,,S002
M01,張三,13812345678,1990/5/3,男,廣東省,廣州市,S001
"""

MEMBERS_MAPPING = """
source: pos
format: csv
entities:
  - kind: identity
    source_record_id: {column: 会员卡号}
    fields:
      member_id: {column: 会员卡号}
      name: {column: 姓名}
      phone: {column: 手机号}
      birthday: {column: 生日, type: date, formats: ["%Y/%m/%d", "%Y-%m-%d"]}
      gender: {column: 性别}
      province: {column: 省}
      city: {column: 市}
      home_store_code: {column: 开卡门店}
"""

# T1 line 1 twice (an exact copy), T1 line 2 claimed by two different rows (duplicate key),
# a row without sku (the mapping's rule), a negative sale, a credit note (classified)
SALES = """小票号,行号,会员卡号,手机号,销售时间,商品编码,数量,实收金额,单据状态
T1,1,M01,13812345678,2025-03-01 10:00:00,100001,2,19.80,正常
T1,1,M01,13812345678,2025-03-01 10:00:00,100001,2,19.80,正常
T1,2,M01,13812345678,2025-03-01 10:00:00,100002,1,9.90,正常
T1,2,M01,13812345678,2025-03-01 10:00:00,100003,1,7.90,正常
T2,1,,,2025-03-02 11:00:00,100001,1,9.90,正常
T3,1,M02,139 8765 4321,2025-03-03 12:00:00,,1,5.00,正常
T4,1,M09,15912345678,2025-03-04 09:00:00,100001,1,-5.00,正常
C5,1,M03,,2025-03-05 09:00:00,100001,-1,-9.90,退货
"""

SALES_MAPPING = """
source: pos
format: csv
quarantine:
  - reason: missing_sku
    when: 商品编码 IS NULL
classify:
  invoice_kind:
    rules:
      - value: credit_note
        when: starts_with(小票号, 'C')
    default: sale
entities:
  - kind: identity
    when: 会员卡号 IS NOT NULL
    source_record_id: {column: 会员卡号}
    fields:
      member_id: {column: 会员卡号}
      phone: {column: 手机号}
      observed_at: {column: 销售时间, type: timestamp}
  - kind: order
    fields:
      order_id: {column: 小票号}
      record_key: {entity: identity}
      ordered_at: {column: 销售时间, type: timestamp, formats: ["%Y-%m-%d %H:%M:%S"]}
      status: {expr: "CASE WHEN invoice_kind = 'credit_note' THEN 'returned' ELSE 'paid' END"}
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

# orders with their items as a list (one line per item), a repeated order (an exact copy, its
# items too) and a user seen twice
ORDERS = """\
{"orderNo": "W1", "openid": "o1", "createTime": "2025-03-01 10:00:00", "items": [{"sku": "100001", "qty": 2}, {"sku": "100002", "qty": 1}]}
{"orderNo": "W2", "openid": "o2", "createTime": "2025-03-02 10:00:00", "items": []}
{"orderNo": "W3", "openid": "o1", "createTime": "2025-03-03 10:00:00", "items": [{"sku": null, "qty": 1}]}
{"orderNo": "W1", "openid": "o1", "createTime": "2025-03-01 10:00:00", "items": [{"sku": "100001", "qty": 2}, {"sku": "100002", "qty": 1}]}
"""  # noqa: E501 (one JSON order per line, as the export writes them)

ORDERS_MAPPING = """
source: mini
format: jsonl
explode: {column: items, as: item}
entities:
  - kind: identity
    when: openid IS NOT NULL
    source_record_id: {column: openid}
    fields:
      openid: {column: openid}
      observed_at: {column: createTime, type: timestamp}
  - kind: order
    fields:
      order_id: {column: orderNo}
      record_key: {entity: identity}
      channel_code: {value: miniprogram}
      ordered_at: {column: createTime, type: timestamp}
  - kind: order_line
    when: item IS NOT NULL
    fields:
      order_id: {column: orderNo}
      line_no: {column: _item, type: int}
      sku: {expr: "item.sku", required: true}
      quantity: {expr: "item.qty", type: decimal}
"""


def _import(tmp_path: Path) -> None:
    for name, text, mapping in (
        ("members.csv", MEMBERS, MEMBERS_MAPPING),
        ("sales.csv", SALES, SALES_MAPPING),
        ("orders.jsonl", ORDERS, ORDERS_MAPPING),
    ):
        f = tmp_path / name
        f.write_text(text, encoding="utf-8")
        import_text(mapping, [f])


def _fix_one_quarantined_row() -> None:
    """The row without sku, fixed: a rerun swaps it in (the ``raw`` table with overrides)."""
    with session_scope() as s:
        rec = next(r for r in s.query(QuarantineRecord).all() if r.reason == "missing_sku")
        service.fix_record(s, record_id=rec.id, set_values={"商品编码": "100009"})


def _run(engine: AnalyticsEngine) -> dict[str, Any]:
    """The step on ``engine``; every table it wrote (rows normalised as tests/parity.py does:
    lists as sets), its result, the statistics and the quarantine it left."""
    out = standardize_all(PipelineContext(engine=engine, settings=get_settings()))
    out.pop("quarantine")  # what the run changed in the quarantine: the first run adds it all
    tables = {
        name: sorted((tuple(_norm(v) for v in r.values()) for r in engine.fetch_rows(
            f"SELECT * FROM {name}"
        )), key=repr)
        for name in engine.list_tables()
        if name.startswith(("std_", "dim_", "quality_"))
    }  # fmt: skip
    with session_scope() as s:
        stats = {
            r.source: (
                r.rows_read, r.accepted, r.fixed, r.filled, r.duplicates, r.quarantined,
                r.quarantined_by_reason, r.fixes_by_rule, r.classified,
            )
            for r in s.query(QualityStats).all()
        }  # fmt: skip
        quarantine = sorted(
            (r.source, r.batch_id, r.row, r.reason, r.status, repr(sorted(r.raw.items())))
            for r in s.query(QuarantineRecord).all()
        )
    return {"tables": tables, "result": out, "stats": stats, "quarantine": quarantine}


def test_standardize_gives_the_same_on_spark_and_duckdb(
    sqlite_session: Any, tmp_path: Path
) -> None:
    pytest.importorskip("pyspark")
    from omniretail.platform.engine.spark import SparkEngine, build_session

    _import(tmp_path)
    spark = build_session("local[2]", shuffle_partitions=2)
    for fixed in (False, True):
        if fixed:
            _fix_one_quarantined_row()
        with DuckDBEngine() as duck:
            on_duckdb = _run(duck)
        on_spark = _run(SparkEngine(session=spark, warehouse=None))
        assert on_spark["tables"].keys() == on_duckdb["tables"].keys()
        for name, rows in on_duckdb["tables"].items():
            assert on_spark["tables"][name] == rows, name
        assert on_spark["result"] == on_duckdb["result"]
        assert on_spark["stats"] == on_duckdb["stats"]
        assert on_spark["quarantine"] == on_duckdb["quarantine"]

    # the cases are there: copies, a duplicate key, Python-cleaned phones, merged POS records
    pos = on_duckdb["stats"]["pos"]
    assert pos[4] == 2  # duplicates: the copied member row and the copied sale line
    assert pos[6].get("duplicate_key:order_line") == 1
    assert pos[8]["invoice_kind"] == {"credit_note": 1, "sale": 4}
    assert on_duckdb["stats"]["mini"][4] == 2  # the repeated order's two items
    lines = on_duckdb["tables"]["std_order_lines"]
    assert len(lines) == 7
    records = on_duckdb["tables"]["std_identity_records"]
    assert any("+8613987654321" in r for r in records)
