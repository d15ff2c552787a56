"""Store traffic at chain scale (issue 18): one year of hourly people-counter rows for N stores
(one door each by default) imported as the vendor's CSV through the shipped ``people_counter``
mapping, standardized (quarantine rules, types, duplicate keys) and aggregated by step
``insight.traffic`` (flags, hourly/daily/weekly KPIs, findings). Target: 2,000 stores in ≤ 60 s
on 2 cores. Baseline in the same run: plain DuckDB ``read_csv`` + one GROUP BY store × day.

Not timed: writing the CSV, the store master and door registry imports, and an
``ins_order_facts`` of two in-store orders per store-day (the step joins the sales).

    python bench/traffic_counters.py [--stores 2000] [--days 365] [--doors 1] [--runs 1]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import duckdb


def make_files(tmp: Path, stores: int, days: int, doors: int) -> tuple[Path, Path, Path]:
    counts, master, registry = tmp / "counts.csv", tmp / "stores.csv", tmp / "doors.csv"
    con = duckdb.connect()
    con.execute(
        f"""COPY (
          SELECT 'S' || lpad(CAST(s AS VARCHAR), 5, '0') AS 门店编码,
                 'D' || CAST(d AS VARCHAR) AS 门编码,
                 strftime(TIMESTAMP '2025-01-01' + to_hours(h), '%Y-%m-%d %H:%M') AS 时段开始,
                 CAST(hash(s, d, h) % 40 AS INTEGER) AS 进店人数,
                 CAST(hash(s, d, h) % 40 AS INTEGER) AS 出店人数,
                 CAST(hash(s, d, h) % 40 * 5 AS INTEGER) AS 过店人数
          FROM range({stores}) a(s), range({doors}) b(d), range({days * 24}) c(h)
        ) TO '{counts}' (HEADER, DELIMITER ',')"""
    )
    con.execute(
        f"""COPY (
          SELECT 'S' || lpad(CAST(s AS VARCHAR), 5, '0') AS 门店编码, '店' || s AS 门店名称,
                 '直营店' AS 门店类型, '街边店' AS 业态, '华东' AS 大区, '上海市' AS 省份,
                 '上海市' AS 城市, '黄浦区' AS 区县, '' AS 详细地址, 31.2 AS 纬度, 121.5 AS 经度,
                 '09:00-22:00' AS 营业时间, 80 AS 面积, '' AS 联系电话, '2020-01-01' AS 开业日期
          FROM range({stores}) a(s)
        ) TO '{master}' (HEADER, DELIMITER ',')"""
    )
    con.execute(
        f"""COPY (
          SELECT 'S' || lpad(CAST(s AS VARCHAR), 5, '0') AS 门店编码,
                 'D' || CAST(d AS VARCHAR) AS 门编码, '门' || d AS 名称, '是' AS 统计过店
          FROM range({stores}) a(s), range({doors}) b(d)
        ) TO '{registry}' (HEADER, DELIMITER ',')"""
    )
    con.close()
    return counts, master, registry


def baseline(counts: Path) -> float:
    con = duckdb.connect()
    t0 = time.perf_counter()
    con.execute(
        f"CREATE TABLE t AS SELECT 门店编码, CAST(时段开始 AS DATE) AS day, sum(进店人数) AS v "
        f"FROM read_csv('{counts}', header = true) GROUP BY 1, 2"
    )
    dt = time.perf_counter() - t0
    con.close()
    return dt


def land(tmp: Path, run: int, files: tuple[Path, Path, Path]) -> float:
    """A fresh instance under ``tmp``: the store master and the door registry imported, then the
    counts file landed; returns the seconds the counts' import took."""
    counts, master, registry = files
    os.environ["OMNIRETAIL_HOME"] = str(tmp / f"home{run}")
    os.environ["OMNIRETAIL_DEMO"] = "1"
    from omniretail.cdp.ingest import service
    from omniretail.cdp.ingest.mapping import shipped_mapping
    from omniretail.platform import db
    from omniretail.platform.config import reset_settings

    reset_settings()
    db.create_all(db.get_engine())
    with db.session_scope() as s:
        service.import_with_mapping_file(
            s, source="erp", mapping_path=shipped_mapping("erp_master_stores"), files=[master]
        )
        service.import_with_mapping_file(
            s,
            source="counter",
            mapping_path=shipped_mapping("people_counter_doors"),
            files=[registry],
        )
    t0 = time.perf_counter()
    with db.session_scope() as s:
        service.import_with_mapping_file(
            s, source="counter", mapping_path=shipped_mapping("people_counter"), files=[counts]
        )
    return time.perf_counter() - t0


def fake_sales(eng: Any, days: int) -> None:
    """Two paid tickets a day per store, so the traffic step has sales to set against visitors."""
    eng.materialize(
        "ins_order_facts",
        "SELECT store_code, DATE '2025-01-01' + CAST(d AS INTEGER) AS order_day,"
        " CAST(10 + k * 5 AS INTEGER) AS order_hour, CAST(58.5 AS DECIMAL(12,2)) AS paid_amount,"
        " 2 AS units, CAST(NULL AS VARCHAR) AS customer_id, FALSE AS online, 'paid' AS status "
        f"FROM dim_store, range({days}) a(d), range(2) b(k)",
    )


def ours(tmp: Path, run: int, files: tuple[Path, Path, Path], days: int) -> dict[str, float]:
    from omniretail.platform import pipeline
    from omniretail.platform.config import get_settings
    from omniretail.platform.engine import open_engine

    t_import = land(tmp, run, files)
    eng = open_engine()
    ctx = pipeline.PipelineContext(engine=eng, settings=get_settings(), full_refresh=True)
    t1 = time.perf_counter()
    pipeline.run(ctx, only=["standardize"])
    t_std = time.perf_counter() - t1
    fake_sales(eng, days)
    t2 = time.perf_counter()
    pipeline.run(ctx, only=["insight.traffic"])
    t_agg = time.perf_counter() - t2
    rows = int(eng.scalar("SELECT count(*) FROM std_traffic_counts") or 0)
    eng.close()
    return {"import_s": t_import, "standardize_s": t_std, "traffic_step_s": t_agg, "rows": rows}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--stores", type=int, default=2000)
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--doors", type=int, default=1)
    ap.add_argument("--runs", type=int, default=1)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        files = make_files(tmp, args.stores, args.days, args.doors)
        base: list[float] = []
        runs: list[dict[str, float]] = []
        for i in range(args.runs):
            base.append(baseline(files[0]))
            runs.append(ours(tmp, i, files, args.days))
        total = [r["import_s"] + r["standardize_s"] + r["traffic_step_s"] for r in runs]
        out = {
            "benchmark": "traffic_counters",
            "stores": args.stores,
            "days": args.days,
            "doors": args.doors,
            "rows": int(runs[0]["rows"]),
            "csv_mb": round(files[0].stat().st_size / 1e6, 1),
            "cpus": os.cpu_count(),
            "baseline_duckdb_read_csv_group_by_s": round(statistics.median(base), 2),
            "import_s": round(statistics.median(r["import_s"] for r in runs), 2),
            "standardize_s": round(statistics.median(r["standardize_s"] for r in runs), 2),
            "traffic_step_s": round(statistics.median(r["traffic_step_s"] for r in runs), 2),
            "total_s_median": round(statistics.median(total), 2),
            "runs_total_s": [round(x, 2) for x in total],
        }
        print(json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    main()
