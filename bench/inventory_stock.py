"""Benchmark: stock availability across 500 stores and reserve + confirm latency, on PostgreSQL.

Run: ``.venv/bin/python bench/inventory_stock.py [--skus 20000] [--stores 500] [--queries 400]
[--rate 50 100 200] [--seconds 20] [--runs 3] [--no-availability]``

1. Starts a throw-away PostgreSQL on loopback (``tests/pgserver.py``), migrates it, and loads
   ``--stores`` stores (all within 8 km of one point) × ``--skus`` SKUs of stock levels
   (500 × 20,000 = 10M rows) with server-side ``INSERT … SELECT``.
2. **Availability**: ``inventory.allocation.availability(sku, lat, lng, radius_km=10)`` for
   random SKUs (each returns the 500 stores), p50/p95 over ``--queries`` calls; baseline in the
   same run: the naive way, one ``get_level`` per store within the radius (N+1 queries).
3. **Reserve + confirm** (service level, in process, 16 worker threads): requests are
   *scheduled* at ``--rate``/s (open loop); each reserves 1 unit of a random (store, SKU) in one
   transaction and commits it (the sale) in a second; latency is measured from the scheduled
   time (queueing included). Baseline at the same rate: the two minimal transactions without a
   ledger (``UPDATE inv_level SET reserved = reserved + 1`` / ``… - 1, on_hand - 1``).
   Each run also reports CPU milliseconds per request: the client process's and the
   PostgreSQL server's (its processes' user + system time from /proc), so a figure taken on a
   shared machine can be compared by work done, not only by latency.

Prints JSON. Targets (issue 12): availability p95 ≤ 50 ms with 10M rows; reserve + confirm
p99 ≤ 50 ms at 200 requests/s.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

CENTER = (31.2304, 121.4737)


def pct(xs: list[float], p: float) -> float:
    s = sorted(xs)
    return round(s[min(len(s) - 1, int(p / 100 * len(s)))] * 1000, 2)


def load(url: str, stores: int, skus: int) -> float:
    from sqlalchemy import create_engine, text

    t = time.perf_counter()
    eng = create_engine(url)
    with eng.begin() as c:
        c.execute(text("SET session_replication_role = replica"))  # no FK triggers while loading
        c.execute(
            text(
                "INSERT INTO inv_location (code, name, kind, latitude, longitude, franchise,"
                " online, pickup, priority, delivery_radius_km, promise_minutes, is_active,"
                " created_at, updated_at)"
                " SELECT 'B' || lpad(g::text, 4, '0'), '门店' || g, 'store',"
                " :lat + (random() - 0.5) * 0.1, :lng + (random() - 0.5) * 0.1, g % 10 = 0, true,"
                " true, 100, 10, 30, true, now(), now() FROM generate_series(1, :n) g"
            ),
            {"lat": CENTER[0], "lng": CENTER[1], "n": stores},
        )
        c.execute(
            text(
                "INSERT INTO inv_item (sku, safety_stock) SELECT 'SKU' || lpad(g::text,"
                " 6, '0'), 0 FROM generate_series(1, :n) g"
            ),
            {"n": skus},
        )
        c.execute(text("ALTER TABLE inv_level DROP CONSTRAINT uq_inv_level_item_id_location_id"))
        c.execute(text("DROP INDEX ix_inv_level_location_id"))
        c.execute(
            text(
                "INSERT INTO inv_level (location_id, item_id, on_hand, reserved, safety_stock,"
                " version, updated_at) SELECT l.id, i.id, 1000000, 0, 0, 0, now()"
                " FROM inv_item i CROSS JOIN inv_location l"
            )
        )
        c.execute(
            text(
                "ALTER TABLE inv_level ADD CONSTRAINT uq_inv_level_item_id_location_id"
                " UNIQUE (item_id, location_id)"
            )
        )
        c.execute(text("CREATE INDEX ix_inv_level_location_id ON inv_level (location_id)"))
    with eng.connect() as c:
        c.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM ANALYZE"))
    eng.dispose()
    return time.perf_counter() - t


def bench_availability(factory: Any, skus: int, queries: int) -> dict[str, Any]:
    from omniretail.omnichannel.inventory import allocation
    from omniretail.omnichannel.inventory import service as inv

    rng = random.Random(1)
    ours: list[float] = []
    base: list[float] = []
    found = 0
    with factory() as s:
        codes = [loc.code for loc in inv.list_locations(s)]
        for i in range(queries):
            sku = f"SKU{rng.randint(1, skus):06d}"
            t = time.perf_counter()
            a = allocation.availability(s, sku=sku, lat=CENTER[0], lng=CENTER[1], radius_km=10)
            ours.append(time.perf_counter() - t)
            found = len(a.locations)
            s.rollback()
            if i < max(20, queries // 10):  # the naive way is slow: fewer samples
                t = time.perf_counter()
                for code in codes:
                    inv.get_level(s, location=code, sku=sku)
                base.append(time.perf_counter() - t)
                s.rollback()
    return {
        "stores_returned": found,
        "ours_ms": {"p50": pct(ours, 50), "p95": pct(ours, 95)},
        "baseline_n_plus_1_ms": {"p50": pct(base, 50), "p95": pct(base, 95)},
    }


def server_cpu_s(data_dir: Path) -> float:
    """CPU seconds (user + system) of the PostgreSQL server's processes so far: the postmaster
    and its children (the pooled connections' backends stay alive across a run)."""
    tick = os.sysconf("SC_CLK_TCK")
    root = int((data_dir / "postmaster.pid").read_text().split()[0])
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid, ppid = int(stat.parent.name), int(fields[1])
        if pid == root or ppid == root:
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / tick


def open_loop(
    rate: float, seconds: float, work: Any, pg_data: Path | None = None
) -> dict[str, Any]:
    n = int(rate * seconds)
    lat: list[float] = []
    errors = 0
    lock = threading.Lock()
    cpu0 = time.process_time()
    srv0 = server_cpu_s(pg_data) if pg_data else 0.0
    start = time.perf_counter() + 0.2

    def one(i: int) -> None:
        nonlocal errors
        due = start + i / rate
        delay = due - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        try:
            work(i)
        except Exception:  # noqa: BLE001 - counted, the run goes on
            with lock:
                errors += 1
        with lock:
            lat.append(time.perf_counter() - due)

    with ThreadPoolExecutor(max_workers=16) as pool:
        list(pool.map(one, range(n)))
    client = time.process_time() - cpu0
    server = server_cpu_s(pg_data) - srv0 if pg_data else 0.0
    return {
        "requests": n,
        "errors": errors,
        "client_cpu_ms": round(client / n * 1000, 2),
        "server_cpu_ms": round(server / n * 1000, 2),
        "p50": pct(lat, 50),
        "p95": pct(lat, 95),
        "p99": pct(lat, 99),
        "max": pct(lat, 100),
    }


def bench_reserve(
    factory: Any, stores: int, skus: int, rate: float, seconds: float, run: int, pg_data: Path
) -> dict[str, Any]:
    from sqlalchemy import text

    from omniretail.omnichannel.inventory import service as inv
    from omniretail.omnichannel.inventory.schemas import ReservationLine

    rng = random.Random(run)
    picks = [
        (f"B{rng.randint(1, stores):04d}", f"SKU{rng.randint(1, min(skus, 1000)):06d}")
        for _ in range(int(rate * seconds))
    ]

    def ours(i: int) -> None:
        loc, sku = picks[i]
        key = f"bench:{run}:{i}"
        with factory() as s:
            inv.reserve(s, key=key, lines=[ReservationLine(location=loc, sku=sku, quantity=1)])
            s.commit()
            inv.commit(s, key=key)
            s.commit()

    with factory() as s:
        ids = {
            (r[0], r[1]): r[2]
            for r in s.execute(
                text(
                    "SELECT c.code, i.sku, l.id FROM inv_level l JOIN inv_location c ON"
                    " c.id = l.location_id JOIN inv_item i ON i.id = l.item_id WHERE i.sku <= :top"
                ),
                {"top": f"SKU{min(skus, 1000):06d}"},
            )
        }

    def baseline(i: int) -> None:
        lid = ids[picks[i]]
        with factory() as s:
            s.execute(
                text("UPDATE inv_level SET reserved = reserved + 1 WHERE id = :i"), {"i": lid}
            )
            s.commit()
            s.execute(
                text(
                    "UPDATE inv_level SET reserved = reserved - 1, on_hand = on_hand - 1"
                    " WHERE id = :i"
                ),
                {"i": lid},
            )
            s.commit()

    return {
        "reserve_confirm": open_loop(rate, seconds, ours, pg_data),
        "baseline_two_updates": open_loop(rate, seconds, baseline, pg_data),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--stores", type=int, default=500)
    ap.add_argument("--skus", type=int, default=20000)
    ap.add_argument("--queries", type=int, default=400)
    ap.add_argument("--rate", type=float, nargs="+", default=[200])
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--no-availability", action="store_true", help="reserve + confirm only")
    args = ap.parse_args()
    from sqlalchemy.orm import sessionmaker
    from tests.pgserver import PostgresServer

    from omniretail.platform import db, migrate

    os.environ.setdefault("OMNIRETAIL_HOME", tempfile.mkdtemp(prefix="inv-bench-"))
    os.environ["OMNIRETAIL_DEMO"] = "1"
    server = PostgresServer().start()
    try:
        url = str(server.create_database("invbench"))
        migrate.upgrade(url)
        load_s = load(url, args.stores, args.skus)
        engine = db.make_engine(url, pool_size=20, max_overflow=4)
        factory = sessionmaker(bind=engine, expire_on_commit=False)
        out: dict[str, Any] = {
            "date": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": f"{platform.machine()} {os.cpu_count()} cores, load "
            f"{os.getloadavg()[0]:.1f}",
            "rows": args.stores * args.skus,
            "load_s": round(load_s, 1),
            "availability": None
            if args.no_availability
            else bench_availability(factory, args.skus, args.queries),
            "runs": [],
        }
        for rate in args.rate:
            for run in range(args.runs):
                r = bench_reserve(
                    factory,
                    args.stores,
                    args.skus,
                    rate,
                    args.seconds,
                    run + int(rate) * 100,
                    server.dir / "data",
                )
                out["runs"].append({"rate": rate, **r})
        out["median_p99_ms"] = {
            f"{k}@{rate:g}": statistics.median(
                r[k]["p99"] for r in out["runs"] if r["rate"] == rate
            )
            for rate in args.rate
            for k in ("reserve_confirm", "baseline_two_updates")
        }
        out["median_cpu_ms"] = {
            f"{k}@{rate:g}": {
                side: statistics.median(r[k][side] for r in out["runs"] if r["rate"] == rate)
                for side in ("client_cpu_ms", "server_cpu_ms")
            }
            for rate in args.rate
            for k in ("reserve_confirm", "baseline_two_updates")
        }
        out["load_after"] = round(os.getloadavg()[0], 1)
        print(json.dumps(out, ensure_ascii=False, indent=1))  # noqa: T201
        engine.dispose()
    finally:
        server.stop()


if __name__ == "__main__":
    main()
