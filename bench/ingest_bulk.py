"""Bulk import throughput from Parquet: ``omniretail import`` (sha256 + append-only landing copy
with lineage columns + batch record) against a plain DuckDB ``read_parquet`` → Parquet copy, the
baseline, measured in the same run. Optionally also times the standardize step on the rows.

    .venv/bin/python bench/ingest_bulk.py [--rows 5000000] [--runs 3] [--standardize]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

import duckdb

MAPPING = """
source: bench_sales
format: parquet
entities:
  - kind: identity
    when: member_id IS NOT NULL
    source_record_id: {column: member_id}
    fields:
      member_id: {column: member_id}
  - kind: order
    fields:
      order_id: {column: order_id}
      record_key: {entity: identity}
      store_code: {column: store_code}
      ordered_at: {column: ordered_at, type: timestamp}
      status: {column: status}
      paid_amount: {column: amount, type: decimal, aggregate: sum}
  - kind: order_line
    fields:
      order_id: {column: order_id}
      line_no: {column: line_no, type: int}
      sku: {column: sku}
      quantity: {column: quantity, type: decimal}
      unit_price: {column: unit_price, type: decimal}
      amount: {column: amount, type: decimal}
"""


def make_file(path: Path, rows: int) -> None:
    duckdb.sql(
        f"""COPY (
          SELECT 'T' || lpad(CAST(i // 3 AS VARCHAR), 10, '0') AS order_id,
                 CAST(i % 3 + 1 AS INTEGER) AS line_no,
                 CASE WHEN i % 7 = 0 THEN NULL
                      ELSE 'LP' || CAST(hash(i // 3) % 2000000 AS VARCHAR) END AS member_id,
                 'S' || lpad(CAST(i % 200 AS VARCHAR), 4, '0') AS store_code,
                 TIMESTAMP '2025-01-01' + to_seconds(i % 31536000) AS ordered_at,
                 CAST(100000 + i % 2000 AS VARCHAR) AS sku,
                 CAST(1 + i % 4 AS INTEGER) AS quantity,
                 CAST((i % 5000) / 100.0 AS DECIMAL(12, 2)) AS unit_price,
                 CAST((i % 5000) / 100.0 * (1 + i % 4) AS DECIMAL(12, 2)) AS amount,
                 'paid' AS status
          FROM range({rows}) t(i)
        ) TO '{path}' (FORMAT PARQUET, COMPRESSION ZSTD)"""
    )


def baseline(src: Path, dst: Path) -> float:
    con = duckdb.connect()
    t0 = time.perf_counter()
    con.execute(f"COPY (SELECT * FROM read_parquet('{src}')) TO '{dst}' (FORMAT PARQUET)")
    dt = time.perf_counter() - t0
    con.close()
    return dt


def ours(src: Path, home: Path) -> float:
    os.environ["OMNIRETAIL_HOME"] = str(home)
    os.environ["OMNIRETAIL_DEMO"] = "1"
    from omniretail.cdp.ingest import service
    from omniretail.cdp.ingest.mapping import parse_mapping
    from omniretail.platform import db
    from omniretail.platform.config import reset_settings

    reset_settings()
    db.create_all(db.get_engine())
    mapping = parse_mapping(MAPPING)
    t0 = time.perf_counter()
    with db.session_scope() as s:
        res = service.import_files(
            s, source=None, mapping=mapping, mapping_text=MAPPING, files=[src]
        )
    dt = time.perf_counter() - t0
    assert res[0].status == "landed"
    return dt


def standardize_seconds() -> float:
    from omniretail.cdp.quality.pipeline import standardize_all
    from omniretail.platform.config import get_settings
    from omniretail.platform.engine import open_engine
    from omniretail.platform.pipeline import PipelineContext

    eng = open_engine()
    t0 = time.perf_counter()
    standardize_all(PipelineContext(engine=eng, settings=get_settings()))
    dt = time.perf_counter() - t0
    eng.close()
    return dt


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=5_000_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--standardize", action="store_true")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "sales.parquet"
        make_file(src, args.rows)
        base, mine = [], []
        std: list[float] = []
        for i in range(args.runs):
            base.append(baseline(src, Path(tmp) / f"copy{i}.parquet"))
            mine.append(ours(src, Path(tmp) / f"home{i}"))
            if args.standardize:
                std.append(standardize_seconds())
        b, m = statistics.median(base), statistics.median(mine)
        out = {
            "benchmark": "bulk_import_parquet",
            "rows": args.rows,
            "file_mb": round(src.stat().st_size / 1e6, 1),
            "baseline_duckdb_copy_rows_per_s": round(args.rows / b),
            "import_rows_per_s": round(args.rows / m),
            "import_over_baseline": round(b / m, 2),
            "runs_baseline_s": [round(x, 2) for x in base],
            "runs_import_s": [round(x, 2) for x in mine],
        }
        if std:
            out["standardize_rows_per_s"] = round(args.rows / statistics.median(std))
            out["runs_standardize_s"] = [round(x, 2) for x in std]
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
