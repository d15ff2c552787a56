"""Benchmark: a campaign to 1M members is planned and its messages queued (issue 6: ≤ 2 min).

Run: ``.venv/bin/python bench/campaign_plan.py [--customers 1000000] [--runs 3]
[--store sqlite|postgres|both] [--out docs/benchmarks/campaigns.md]``

1. Builds an analytics work database with ``--customers`` synthetic members: ``customers``
   (phone, email) and ``customer_tags`` (lifecycle stage, RFM group, most active channel,
   preferred store, consent per channel) generated inside DuckDB from hashes of row numbers,
   then publishes it through the real path (``publish_snapshot``: copy + atomic rename).
   The insight pipeline is not run: at 1M members it takes far longer than the campaign
   (docs/benchmarks/insight.md), and launch only reads these columns.
2. For each run, on a fresh operational store (SQLite file, or a throw-away PostgreSQL on
   loopback started like ``tests/pgserver.py``): creates a spend-50-save-10 coupon template
   and a campaign to every member (email, SMS, WeChat, app push in fallback order, 10%
   stratified holdout, two A/B variants) and launches it through
   ``campaign.launch.launch_campaign`` — the same code the API, the CLI and the scheduler
   call — then commits.
   *planning* = the audience snapshot, the risk check, holdout and variant assignment and the
   channel choice (``launch_campaign``'s own timer ``plan_seconds``); *queueing* = everything
   after it up to the commit: members, coupons and outbox messages written to the store.
3. Baseline in the same run, on the same store: a plain ``executemany`` INSERT of as many
   rows of the same width into a copy of the ``message`` table (no ORM, one transaction).

Prints JSON (medians, every run, CPU seconds, peak RSS and the load average) and, with
``--out``, writes the Markdown table.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

import duckdb  # noqa: E402

NOW = datetime(2026, 7, 1, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai: outside quiet hours


def _u(expr: str, salt: int) -> str:
    return f"((hash(({expr}) * 7919 + {salt}) % 1000003) / 1000003.0)"


def build_snapshot(path: Path, customers: int) -> None:
    """Synthetic members with the columns a launch reads, in a DuckDB file."""
    con = duckdb.connect(str(path))
    con.execute(f"""
        CREATE OR REPLACE TABLE customers AS
        SELECT 'C' || lpad(CAST(i AS VARCHAR), 9, '0') AS customer_id,
               '+86138' || lpad(CAST(i AS VARCHAR), 8, '0') AS phone,
               CASE WHEN {_u("i", 5)} < 0.4 THEN 'm' || CAST(i AS VARCHAR) || '@example.com'
                    END AS email
        FROM range({customers}) r(i)
    """)
    con.execute(f"""
        CREATE OR REPLACE TABLE customer_tags AS
        SELECT 'C' || lpad(CAST(i AS VARCHAR), 9, '0') AS customer_id,
               ['pos', 'miniprogram', 'app', 'wecom', 'online'][
                   1 + CAST(floor({_u("i", 1)} * 5) AS INTEGER)] AS most_active_channel,
               'S' || lpad(CAST(CAST(floor({_u("i", 2)} * 500) AS INTEGER) AS VARCHAR), 4, '0')
                   AS preferred_store,
               'S' || lpad(CAST(CAST(floor({_u("i", 2)} * 500) AS INTEGER) AS VARCHAR), 4, '0')
                   AS home_store,
               ['new', 'active', 'at_risk', 'dormant', 'churned'][
                   1 + CAST(floor({_u("i", 3)} * 5) AS INTEGER)] AS lifecycle_stage,
               ['重要价值', '重要发展', '重要保持', '一般价值', '一般挽留'][
                   1 + CAST(floor({_u("i", 4)} * 5) AS INTEGER)] AS rfm_group,
               CAST(1 + floor({_u("i", 6)} * 12) AS INTEGER) AS orders_total,
               CASE WHEN {_u("i", 5)} < 0.7 THEN true WHEN {_u("i", 5)} < 0.8 THEN false
                    END AS consent_sms,
               CASE WHEN {_u("i", 5)} < 0.4 THEN true END AS consent_email,
               CASE WHEN {_u("i", 5)} < 0.75 THEN true END AS consent_wechat,
               CASE WHEN {_u("i", 5)} < 0.3 THEN true END AS consent_app_push
        FROM range({customers}) r(i)
    """)
    con.execute("CREATE OR REPLACE TABLE ins_as_of AS SELECT DATE '2026-06-30' AS as_of")
    con.close()


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _backend_cpu(pid: int | None) -> float:
    """CPU seconds of the PostgreSQL backend serving the launch (same machine: /proc)."""
    if pid is None:
        return 0.0
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def campaign_data() -> Any:
    from omniretail.marketing.campaign.schemas import CampaignCreate

    return CampaignCreate.model_validate(
        {
            "code": "BENCH-1M",
            "name": "百万会员满减",
            "goal": "repurchase",
            "audience": {"rule": {"field": "orders_total", "op": "gte", "value": 1}},
            "offer_template": "BENCH10",
            "channels": ["app_push", "email", "sms"],
            "content": {
                "title": "满50减10",
                "body": "专属券已到账",
                "link": "https://shop.example",
            },
            "variants": [{"name": "A"}, {"name": "B"}],
            "holdout_share": 0.10,
            "budget": "100000000",
        }
    )


def prepare_store(url: str) -> None:
    from omniretail.marketing.coupon import service as coupon_service
    from omniretail.marketing.coupon.schemas import TemplateCreate
    from omniretail.platform import config, migrate
    from omniretail.platform.db import session_scope

    os.environ["OMNIRETAIL_DATABASE_URL"] = url
    config.reset_settings()
    migrate.upgrade(url)
    with session_scope() as s:
        coupon_service.create_template(
            s,
            data=TemplateCreate(
                code="BENCH10",
                name="满50减10",
                kind="spend_save",
                rules={"tiers": [{"spend": "50", "save": "10"}]},
                valid_days=14,
                face_value=Decimal("10"),
            ),
        )


def launch_once() -> dict[str, Any]:
    from sqlalchemy import text

    from omniretail.marketing.campaign import service
    from omniretail.marketing.campaign.launch import launch_campaign
    from omniretail.platform.db import session_factory
    from omniretail.platform.engine.snapshot import run_on_published

    with session_factory()() as s:
        service.create_campaign(s, data=campaign_data(), actor="bench")
        s.commit()
        pid = (
            int(s.scalar(text("SELECT pg_backend_pid()")) or 0)
            if s.get_bind().dialect.name == "postgresql"
            else None
        )
        b0 = _backend_cpu(pid)
        w0, c0 = time.perf_counter(), _cpu()
        out = run_on_published(
            lambda eng: launch_campaign(s, eng, code="BENCH-1M", actor="bench", now=NOW)
        ).as_json()
        s.commit()
        w1, c1 = time.perf_counter(), _cpu()
        b1 = _backend_cpu(pid)
    timing = out.pop("timing")
    plan_w, plan_c = timing["plan_seconds"], timing["plan_cpu_seconds"]
    return {
        "plan_wall": round(plan_w, 2),
        "plan_cpu": round(plan_c, 2),
        "queue_wall": round(w1 - w0 - plan_w, 2),
        "queue_cpu": round(c1 - c0 - plan_c, 2),
        "total_wall": round(w1 - w0, 2),
        "total_cpu": round(c1 - c0, 2),
        "server_cpu": round(b1 - b0, 2),  # the PostgreSQL backend's CPU (0 on SQLite)
        "audience": out["audience"],
        "messages_queued": out["messages_queued"],
        "coupons_issued": out["coupons"]["issued"],
        "suppressed": out["suppressed"],
    }


def baseline_insert(url: str, n: int) -> dict[str, float]:
    """executemany of n message-sized rows into a plain copy of the message table."""
    from sqlalchemy import create_engine, text

    eng = create_engine(url)
    payload = json.dumps(
        {
            "title": "满50减10",
            "body": "专属券已到账",
            "link": "http://localhost:8000/r/BENCH-1M:1:C000000001",
            "target": "https://shop.example",
            "extra": {"variant": "A"},
        },
        ensure_ascii=False,
    )
    ts = NOW.isoformat()
    rows = [
        {
            "key": f"BENCH-1M:1:C{i:09d}",
            "customer_id": f"C{i:09d}",
            "channel": "sms",
            "recipient": f"+86138{i:08d}",
            "payload": payload,
            "priority": 50,
            "status": "queued",
            "due_at": ts,
            "attempts": 0,
            "created_at": ts,
        }
        for i in range(n)
    ]
    with eng.begin() as c:
        c.execute(text("DROP TABLE IF EXISTS bench_message"))
        c.execute(
            text(
                "CREATE TABLE bench_message (id INTEGER PRIMARY KEY, key VARCHAR(128) UNIQUE, "
                "customer_id VARCHAR(32), channel VARCHAR(16), recipient VARCHAR(256), "
                "payload TEXT, priority INTEGER, status VARCHAR(16), due_at VARCHAR(40), "
                "attempts INTEGER, created_at VARCHAR(40))"
                if url.startswith("sqlite")
                else "CREATE TABLE bench_message (id SERIAL PRIMARY KEY, key VARCHAR(128) "
                "UNIQUE, customer_id VARCHAR(32), channel VARCHAR(16), recipient VARCHAR(256), "
                "payload JSON, priority INTEGER, status VARCHAR(16), due_at TIMESTAMPTZ, "
                "attempts INTEGER, created_at TIMESTAMPTZ)"
            )
        )
    w0, c0 = time.perf_counter(), _cpu()
    with eng.begin() as c:
        stmt = text(
            "INSERT INTO bench_message (key, customer_id, channel, recipient, payload, priority,"
            " status, due_at, attempts, created_at) VALUES (:key, :customer_id, :channel,"
            " :recipient, :payload, :priority, :status, :due_at, :attempts, :created_at)"
        )
        for i in range(0, n, 5000):
            c.execute(stmt, rows[i : i + 5000])
    out = {"wall": round(time.perf_counter() - w0, 2), "cpu": round(_cpu() - c0, 2)}
    with eng.begin() as c:
        c.execute(text("DROP TABLE bench_message"))
    eng.dispose()
    return out


def run_store(kind: str, runs: int, base: Path) -> dict[str, Any]:
    from omniretail.platform import db

    results: list[dict[str, Any]] = []
    baselines: list[dict[str, float]] = []
    for r in range(runs):
        server = None
        if kind == "sqlite":
            url = f"sqlite:///{base / f'store-{r}.db'}"
        else:
            from tests.pgserver import PostgresServer

            server = PostgresServer().start()
            url = server.create_database("bench")
        try:
            prepare_store(url)
            res = launch_once()
            res["load_avg"] = round(os.getloadavg()[0], 1)
            results.append(res)
            db.get_engine().dispose()
            baselines.append(baseline_insert(url, res["messages_queued"]))
            print(json.dumps({"store": kind, "run": r, **res, "baseline": baselines[-1]}))
        finally:
            if server is not None:
                db.get_engine().dispose()
                server.stop()
            elif (base / f"store-{r}.db").exists():
                (base / f"store-{r}.db").unlink()

    def med(key: str, rows: list[dict[str, Any]]) -> float:
        return round(statistics.median(float(x[key]) for x in rows), 2)

    return {
        "runs": results,
        "baselines": baselines,
        "median": {
            k: med(k, results)
            for k in (
                "plan_wall",
                "plan_cpu",
                "queue_wall",
                "queue_cpu",
                "total_wall",
                "total_cpu",
                "server_cpu",
                "load_avg",
            )
        },
        "baseline_median": {"wall": med("wall", baselines), "cpu": med("cpu", baselines)},
    }


def markdown(report: dict[str, Any]) -> str:
    lines = [
        f"Measured {report['date']} on {report['machine']}; {report['customers']:,} members, "
        f"{report['runs']} runs per store; peak RSS {report['peak_rss_mb']:,.0f} MB.",
        "",
        "| store | plan wall s | plan CPU s | queue wall s | queue CPU s | total wall s "
        "| total CPU s | server CPU s | messages | baseline INSERT wall s / CPU s | load avg |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for kind, r in report["stores"].items():
        m, b = r["median"], r["baseline_median"]
        msgs = r["runs"][0]["messages_queued"]
        lines.append(
            f"| {kind} | {m['plan_wall']} | {m['plan_cpu']} | {m['queue_wall']} | "
            f"{m['queue_cpu']} | **{m['total_wall']}** | {m['total_cpu']} | "
            f"{m['server_cpu']} | {msgs:,} | "
            f"{b['wall']} / {b['cpu']} | {m['load_avg']} |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--customers", type=int, default=1_000_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--store", choices=["sqlite", "postgres", "both"], default="sqlite")
    ap.add_argument("--out", type=Path, help="write the Markdown table here")
    args = ap.parse_args()

    base = Path(tempfile.mkdtemp(prefix="omniretail-campaign-bench-"))
    try:
        os.environ.update(OMNIRETAIL_HOME=str(base / "home"), OMNIRETAIL_DEMO="1")
        from omniretail.platform import config
        from omniretail.platform.engine import publish_snapshot, work_path

        config.reset_settings()
        work = work_path()
        work.parent.mkdir(parents=True, exist_ok=True)
        w0 = time.perf_counter()
        build_snapshot(work, args.customers)
        publish_snapshot()
        print(json.dumps({"snapshot_seconds": round(time.perf_counter() - w0, 1)}))
        stores = ["sqlite", "postgres"] if args.store == "both" else [args.store]
        report: dict[str, Any] = {
            "date": datetime.now(UTC).date().isoformat(),
            "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python "
            f"{platform.python_version()}",
            "customers": args.customers,
            "runs": args.runs,
            "stores": {k: run_store(k, args.runs, base) for k in stores},
            "peak_rss_mb": round(_peak_mb()),
        }
        print(json.dumps(report, indent=2, ensure_ascii=False))
        if args.out:
            args.out.write_text(markdown(report), encoding="utf-8")
    finally:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
