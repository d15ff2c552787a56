"""Benchmark: recommendation endpoints under a fixed request rate against a real uvicorn server.

Run: ``.venv/bin/python bench/recs_api.py [--rates 50 100 200] [--seconds 20] [--runs 3]
[--world DIR]``

1. Builds an instance in a temporary ``OMNIRETAIL_HOME``: the demo world's purchases (POS, app
   and mini-program exports of ``--world``, or a scale-0.1 world generated on the fly: 10,000
   persons, ~2,000 SKUs) loaded as the contract tables ``orders``, ``order_lines``,
   ``dim_product``, ``customers``; the ``recommendations`` pipeline step; a published snapshot;
   a console user.
2. Starts ``uvicorn omniretail.web.app:create_app`` (one worker) on 127.0.0.1 and logs in.
3. Open-loop load: requests are *scheduled* at fixed rates (default 200/s) whatever the server
   does, and latency is measured from the scheduled time, so queueing delay is counted
   (no coordinated omission). Customers are drawn at random.
4. Baseline in the same run and server: ``GET /api/v1/health`` at the same rate.

Prints JSON with p50/p95/p99/max per endpoint and run, and the medians over ``--runs``.
Only loopback is contacted; every loop is bounded in count and time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pandas as pd
import pyarrow as pa

PASSWORD = "bench-pass-123"  # noqa: S105 - a throwaway user of a temporary instance


def build_instance(home: Path, world: Path | None) -> list[str]:
    os.environ["OMNIRETAIL_HOME"] = str(home)
    os.environ["OMNIRETAIL_DEMO"] = "1"
    from omniretail.insight.uplift.demo import purchase_history
    from omniretail.platform import config, db, migrate, pipeline
    from omniretail.platform.auth import service
    from omniretail.platform.engine import open_engine, publish_snapshot

    config.reset_settings()
    tmp = None
    if world is None:
        from omniretail.demo import generate_world

        tmp = tempfile.TemporaryDirectory()
        world = Path(tmp.name) / "world"
        generate_world(world, scale=0.1, seed=42)
    history = purchase_history(world)
    products = pd.read_csv(world / "exports/master/products.csv", dtype={"sku": str})
    if tmp is not None:
        tmp.cleanup()
    orders = (
        history.groupby("order_id")
        .agg(customer_id=("person_id", "first"), ordered_at=("ordered_at", "min"))
        .reset_index()
        .assign(source="demo", status="paid")
    )
    lines = history[["order_id", "sku"]].assign(source="demo")
    customers = pd.DataFrame({"customer_id": sorted(history["person_id"].unique())})
    migrate.upgrade()
    with db.session_scope() as s:
        service.create_user(s, username="bench", password=PASSWORD, role="admin")
    eng = open_engine()
    try:
        for name, frame in {
            "orders": orders,
            "order_lines": lines,
            "dim_product": products,
            "customers": customers,
        }.items():
            eng.register_arrow(name, pa.Table.from_pandas(frame, preserve_index=False))
        ctx = pipeline.PipelineContext(engine=eng, settings=config.get_settings())
        pipeline.run(ctx, only=["recommendations"])
        print(json.dumps(ctx.results), file=sys.stderr)
    finally:
        eng.close()
    publish_snapshot()
    return [str(c) for c in customers["customer_id"]]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


async def open_loop(
    client: httpx.AsyncClient, paths: list[str], rate: float, seconds: float
) -> dict[str, float]:
    n = int(rate * seconds)
    latencies: list[float] = []
    errors = 0
    start = time.perf_counter() + 0.2

    async def one(i: int) -> None:
        nonlocal errors
        scheduled = start + i / rate
        await asyncio.sleep(max(0.0, scheduled - time.perf_counter()))
        try:
            r = await client.get(paths[i % len(paths)])
            if r.status_code != 200:
                errors += 1
        except httpx.HTTPError:
            errors += 1
        latencies.append((time.perf_counter() - scheduled) * 1000)

    # every request has its own timeout (the client's), so this ends by itself
    await asyncio.gather(*(one(i) for i in range(n)))
    arr = np.array(latencies)
    return {
        "requests": n,
        "errors": errors,
        "achieved_rate": round(n / (max(arr) / 1000 + seconds), 1),
        "p50_ms": round(float(np.percentile(arr, 50)), 2),
        "p95_ms": round(float(np.percentile(arr, 95)), 2),
        "p99_ms": round(float(np.percentile(arr, 99)), 2),
        "max_ms": round(float(arr.max()), 2),
    }


async def bench(port: int, customers: list[str], args: argparse.Namespace) -> dict[str, Any]:
    base = f"http://127.0.0.1:{port}"
    rng = np.random.default_rng(7)
    limits = httpx.Limits(max_connections=200, max_keepalive_connections=200)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=5) as client:
        r = await client.post(
            "/api/v1/auth/login", json={"username": "bench", "password": PASSWORD}
        )
        r.raise_for_status()
        sample = rng.choice(customers, size=2000)
        recs = [f"/api/v1/customers/{c}/recommendations?k=10" for c in sample]
        health = ["/api/v1/health"]
        # the first request after a publish loads the snapshot's serving view
        (await client.get(recs[0], timeout=300)).raise_for_status()
        service_ms = []
        for path in recs[:200]:  # closed loop, one at a time: the service time
            t0 = time.perf_counter()
            (await client.get(path)).raise_for_status()
            service_ms.append((time.perf_counter() - t0) * 1000)
        print(
            f"sequential service time ms: p50 {np.percentile(service_ms, 50):.2f} "
            f"p99 {np.percentile(service_ms, 99):.2f}",
            file=sys.stderr,
        )
        await open_loop(client, recs, min(args.rates), 3)  # warm-up
        runs: list[dict[str, Any]] = []
        for _ in range(args.runs):
            run: dict[str, Any] = {}
            for rate in args.rates:
                run[f"health (baseline) @{rate:g}/s"] = await open_loop(
                    client, health, rate, args.seconds
                )
                run[f"customer recommendations @{rate:g}/s"] = await open_loop(
                    client, recs, rate, args.seconds
                )
                print(
                    json.dumps({k: v for k, v in run.items() if f"@{rate:g}/s" in k}),
                    file=sys.stderr,
                    flush=True,
                )
            runs.append(run)
    med = {
        name: {
            key: round(statistics.median(run[name][key] for run in runs), 2)
            for key in ("p50_ms", "p95_ms", "p99_ms", "max_ms", "errors")
        }
        for name in runs[0]
    }
    return {
        "runs": runs,
        "median": med,
        "sequential_service_ms": {
            "p50": round(float(np.percentile(service_ms, 50)), 2),
            "p99": round(float(np.percentile(service_ms, 99)), 2),
        },
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rates", type=float, nargs="+", default=[200.0])
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--world", type=Path)
    args = ap.parse_args()
    home = Path(tempfile.mkdtemp(prefix="recs_bench_"))
    server = None
    try:
        customers = build_instance(home, args.world)
        port = free_port()
        env = {**os.environ, "OMNIRETAIL_HOME": str(home), "OMNIRETAIL_DEMO": "1"}
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "omniretail.web.app:create_app",
                "--factory",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--log-level",
                "warning",
                "--no-access-log",
            ],
            env=env,
        )
        for _ in range(300):
            try:
                if (
                    httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=1).status_code
                    == 200
                ):
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        result = asyncio.run(bench(port, customers, args))
        result.update(
            machine=f"{platform.machine()} 2-core shared",
            date=date.today().isoformat(),
            rates=args.rates,
            seconds=args.seconds,
            customers=len(customers),
        )
        print(json.dumps(result, indent=1))
    finally:
        if server is not None:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait(timeout=10)
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
