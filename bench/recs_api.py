"""Benchmark: recommendation endpoints under a fixed request rate against a real uvicorn server.

Run: ``.venv/bin/python bench/recs_api.py [--rates 50 100 200] [--seconds 20] [--runs 3]
[--world DIR]``

1. Builds an instance in a temporary ``OMNIRETAIL_HOME``: the demo world's purchases (POS, app
   and mini-program exports of ``--world``, or a scale-0.1 world generated on the fly: 10,000
   persons, ~2,000 SKUs) loaded as the contract tables ``orders``, ``order_lines``,
   ``dim_product``, ``customers``; the ``recommendations`` pipeline step; a published snapshot;
   a console user.
2. Starts ``uvicorn omniretail.web.app:create_app`` (``--workers``, default 1) on 127.0.0.1 and
   logs in.
3. Open-loop load: requests are *scheduled* at fixed rates (default 200/s) whatever the server
   does, and latency is measured from the scheduled time, so queueing delay is counted
   (no coordinated omission). Customers are drawn at random. The load generator is a small
   HTTP/1.1 client on raw asyncio streams (pre-encoded requests, keep-alive connections): an
   httpx client spent ~20x the server's CPU per request and starved the server on 2 cores.
4. Baselines in the same run and server at the same rate, after the endpoint: ``GET
   /api/v1/health`` (no authentication) and, with ``--auth-baseline``, ``GET /api/v1/auth/me``
   (authentication only). Before each phase the server must answer /health in < 20 ms five
   times in a row: an overloaded server (requests abandoned by the client are still served)
   otherwise spills its backlog into the next phase.
5. CPU: the server's and the load generator's CPU seconds per run (from /proc), so the cost per
   request can be read even when the shared machine's wall-clock times are not; the 1-minute
   load average at the start and end of each run.

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
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
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
    from omniretail.demo.uplift_eval import purchase_history
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


class Connection:
    """One keep-alive HTTP/1.1 connection; requests are pre-encoded bytes."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    async def request(self, raw: bytes) -> int:
        self.writer.write(raw)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length = 0
        for line in head.split(b"\r\n")[1:]:
            if line[:15].lower() == b"content-length:":
                length = int(line[15:])
        if length:
            await self.reader.readexactly(length)
        return status


KEEP_ALIVE_S = 4.0  # uvicorn closes a keep-alive connection idle for 5 s


class Pool:
    """Idle connections to reuse (never one idle for longer than the server keeps it open); a
    new one is opened when every connection is busy."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.idle: list[tuple[float, Connection]] = []
        self.opened = 0

    async def get(self, *, fresh: bool = False) -> Connection:
        now = time.monotonic()
        while self.idle and not fresh:
            used, conn = self.idle.pop()
            if now - used < KEEP_ALIVE_S:
                return conn
            conn.writer.close()
        reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
        self.opened += 1
        return Connection(reader, writer)

    def put(self, conn: Connection) -> None:
        self.idle.append((time.monotonic(), conn))

    def close(self) -> None:
        for _, conn in self.idle:
            conn.writer.close()
        self.idle.clear()


def encode_get(path: str, cookie: str) -> bytes:
    return (
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: {cookie}\r\n"
        "Accept: application/json\r\n\r\n"
    ).encode()


def _stat(pid: int | str) -> list[str] | None:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds of a process and its children (uvicorn's workers), from
    Linux /proc; None elsewhere."""
    own = _stat(pid)
    if own is None:
        return None
    total = int(own[11]) + int(own[12])
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and entry.name != str(pid):
            fields = _stat(entry.name)
            if fields is not None and fields[1] == str(pid):
                total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


async def open_loop(
    pool: Pool, requests: list[bytes], rate: float, seconds: float, server_pid: int
) -> dict[str, float | None]:
    n = int(rate * seconds)
    latencies: list[float] = []
    errors = 0
    load_start = os.getloadavg()[0]
    server0, client0 = cpu_seconds(server_pid), time.process_time()
    start = time.perf_counter() + 0.2

    kinds: Counter[str] = Counter()

    async def attempt(raw: bytes, fresh: bool) -> int:
        conn = await pool.get(fresh=fresh)
        try:
            status = await asyncio.wait_for(conn.request(raw), 10)
        except BaseException:
            conn.writer.close()
            raise
        pool.put(conn)
        return status

    async def one(i: int) -> None:
        nonlocal errors
        scheduled = start + i / rate
        await asyncio.sleep(max(0.0, scheduled - time.perf_counter()))
        raw = requests[i % len(requests)]
        try:
            try:
                status = await attempt(raw, fresh=False)
            except (ConnectionError, asyncio.IncompleteReadError):
                # a kept-alive connection the server closed meanwhile: once more on a new one
                status = await attempt(raw, fresh=True)
            if status != 200:
                errors += 1
                kinds[f"HTTP {status}"] += 1
        except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError) as exc:
            errors += 1
            kinds[type(exc).__name__] += 1
        latencies.append((time.perf_counter() - scheduled) * 1000)

    # every request has its own timeout, so this ends by itself
    await asyncio.gather(*(one(i) for i in range(n)))
    server1, client1 = cpu_seconds(server_pid), time.process_time()
    arr = np.array(latencies)
    server_ms = None
    if server0 is not None and server1 is not None:
        server_ms = round((server1 - server0) / n * 1000, 3)
    return {
        "requests": n,
        "errors": errors,
        "error_kinds": dict(kinds),
        "achieved_rate": round(n / (max(arr) / 1000 + seconds), 1),
        "p50_ms": round(float(np.percentile(arr, 50)), 2),
        "p95_ms": round(float(np.percentile(arr, 95)), 2),
        "p99_ms": round(float(np.percentile(arr, 99)), 2),
        "max_ms": round(float(arr.max()), 2),
        "server_cpu_ms_per_request": server_ms,
        "client_cpu_ms_per_request": round((client1 - client0) / n * 1000, 3),
        "load_avg_start": round(load_start, 2),
        "load_avg_end": round(os.getloadavg()[0], 2),
    }


async def drain(pool: Pool, health: bytes, limit_s: float = 120.0) -> float:
    """Wait until an overloaded server has worked off its backlog (five /health answers in
    a row under 20 ms), so one phase's overload does not spill into the next; seconds waited."""
    start = time.perf_counter()
    fast = 0
    while fast < 5 and time.perf_counter() - start < limit_s:
        t0 = time.perf_counter()
        try:
            conn = await pool.get()
            await asyncio.wait_for(conn.request(health), 30)
            pool.put(conn)
        except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError):
            fast = 0
            continue
        fast = fast + 1 if time.perf_counter() - t0 < 0.02 else 0
    return round(time.perf_counter() - start, 2)


KEYS = (
    "p50_ms",
    "p95_ms",
    "p99_ms",
    "max_ms",
    "errors",
    "server_cpu_ms_per_request",
    "client_cpu_ms_per_request",
    "load_avg_start",
    "load_avg_end",
)


async def bench(
    port: int, server_pid: int, customers: list[str], args: argparse.Namespace
) -> dict[str, Any]:
    base = f"http://127.0.0.1:{port}"
    rng = np.random.default_rng(7)
    async with httpx.AsyncClient(base_url=base, timeout=300) as client:
        r = await client.post(
            "/api/v1/auth/login", json={"username": "bench", "password": PASSWORD}
        )
        r.raise_for_status()
        cookie = f"omniretail_session={client.cookies['omniretail_session']}"
        sample = rng.choice(customers, size=2000)
        paths = [f"/api/v1/customers/{c}/recommendations?k=10" for c in sample]
        # the first request after a publish loads the snapshot's serving view
        (await client.get(paths[0])).raise_for_status()
    recs = [encode_get(p, cookie) for p in paths]
    health = [encode_get("/api/v1/health", cookie)]
    endpoints = {"customer recommendations": recs, "health (baseline)": health}
    if args.auth_baseline:
        endpoints["auth only (baseline)"] = [encode_get("/api/v1/auth/me", cookie)]
    pool = Pool(port)
    service_ms = []
    for raw in recs[:200]:  # closed loop, one at a time: the service time
        conn = await pool.get(fresh=not pool.idle)
        t0 = time.perf_counter()
        assert await conn.request(raw) == 200
        service_ms.append((time.perf_counter() - t0) * 1000)
        pool.put(conn)
    print(
        f"sequential service time ms: p50 {np.percentile(service_ms, 50):.2f} "
        f"p99 {np.percentile(service_ms, 99):.2f}",
        file=sys.stderr,
    )
    await open_loop(pool, recs, min(args.rates), 3, server_pid)  # warm-up
    runs: list[dict[str, Any]] = []
    for _ in range(args.runs):
        run: dict[str, Any] = {}
        for rate in args.rates:
            for name, requests in endpoints.items():
                drained = await drain(pool, health[0])
                run[f"{name} @{rate:g}/s"] = await open_loop(
                    pool, requests, rate, args.seconds, server_pid
                )
                run[f"{name} @{rate:g}/s"]["drain_seconds_before"] = drained
            print(
                json.dumps({k: v for k, v in run.items() if f"@{rate:g}/s" in k}),
                file=sys.stderr,
                flush=True,
            )
        runs.append(run)
    pool.close()
    med = {
        name: {
            key: round(statistics.median(run[name][key] for run in runs), 3)
            for key in KEYS
            if all(run[name][key] is not None for run in runs)
        }
        for name in runs[0]
    }
    return {
        "runs": runs,
        "median": med,
        "connections_opened": pool.opened,
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
    ap.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    ap.add_argument(
        "--auth-baseline", action="store_true", help="also load GET /api/v1/auth/me (auth only)"
    )
    args = ap.parse_args()
    # a stopped benchmark still stops its server and removes its data directory
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
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
                "--workers",
                str(args.workers),
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
        try:  # the load generator on uvloop when installed (uvicorn[standard] brings it)
            import uvloop

            result = uvloop.run(bench(port, server.pid, customers, args))
        except ImportError:
            result = asyncio.run(bench(port, server.pid, customers, args))
        result.update(
            machine=f"{platform.machine()} 2-core shared",
            date=date.today().isoformat(),
            rates=args.rates,
            seconds=args.seconds,
            customers=len(customers),
            cpus=os.cpu_count(),
            workers=args.workers,
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
