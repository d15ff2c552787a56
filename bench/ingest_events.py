"""Events API throughput: Segment-style /v1/batch on a real uvicorn server on loopback.

Starts ``uvicorn omniretail.web.app:create_app`` in a fresh OMNIRETAIL_HOME (SQLite operational
store), then concurrent asyncio clients (httpx, keep-alive) post batches of unique events; every
200 means the batch is committed in the event inbox. Prints JSON with the median of several runs.

    .venv/bin/python bench/ingest_events.py [--events 100000] [--batch 200] [--clients 8] [--runs 3]

Reference point (not measured here): RudderStack's published gateway figure for a 2-core node is
about 1,700 events/s.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _setup(home: Path) -> str:
    env = {**os.environ, "OMNIRETAIL_HOME": str(home), "OMNIRETAIL_DEMO": "1"}
    env.pop("OMNIRETAIL_DATABASE_URL", None)
    exe = [sys.executable, "-m", "omniretail.cli.main"]
    subprocess.run([*exe, "init"], env=env, check=True, capture_output=True)  # noqa: S603
    out = subprocess.run(  # noqa: S603
        [*exe, "apikey", "create", "--name", "bench", "--scope", "events"],
        env=env, check=True, capture_output=True, text=True,
    )  # fmt: skip
    return out.stdout.strip().splitlines()[-1]


def _start(home: Path, port: int, workers: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "OMNIRETAIL_HOME": str(home), "OMNIRETAIL_DEMO": "1"}
    env.pop("OMNIRETAIL_DATABASE_URL", None)
    proc = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "uvicorn", "omniretail.web.app:create_app", "--factory",
         "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
         "--log-level", "warning", "--no-access-log"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.3)
    proc.kill()
    raise RuntimeError("server did not start")


def _bodies(n_events: int, batch: int) -> list[bytes]:
    run = uuid.uuid4().hex[:8]
    out = []
    for b in range(0, n_events, batch):
        events = [
            {
                "type": "track",
                "messageId": f"{run}-{i}",
                "userId": f"A{i % 50_000:09d}",
                "anonymousId": f"dev-{i % 80_000}",
                "event": "Product Viewed",
                "timestamp": "2025-03-01T10:00:00+08:00",
                "properties": {"sku": str(100000 + i % 2000), "store_code": "S0001"},
                "context": {"app": "app", "library": {"name": "analytics-ios"}},
            }
            for i in range(b, min(b + batch, n_events))
        ]
        out.append(json.dumps({"batch": events}).encode())
    return out


async def _send(url: str, key: str, bodies: list[bytes], clients: int) -> tuple[float, int]:
    auth = "Basic " + base64.b64encode(f"{key}:".encode()).decode()
    headers = {"Authorization": auth, "Content-Type": "application/json"}
    queue: asyncio.Queue[bytes] = asyncio.Queue()
    for b in bodies:
        queue.put_nowait(b)
    accepted = 0

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal accepted
        while not queue.empty():
            body = queue.get_nowait()
            r = await client.post(url + "/v1/batch", content=body, headers=headers)
            r.raise_for_status()
            accepted += r.json()["accepted"]

    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(timeout=60, limits=limits) as client:
        t0 = time.perf_counter()
        await asyncio.gather(*(worker(client) for _ in range(clients)))
        return time.perf_counter() - t0, accepted


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=100_000)
    ap.add_argument("--batch", type=int, default=200)
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        key = _setup(home)
        port = _free_port()
        proc = _start(home, port, args.workers)
        try:
            url = f"http://127.0.0.1:{port}"
            asyncio.run(_send(url, key, _bodies(2_000, args.batch), args.clients))  # warm-up
            rates = []
            for _ in range(args.runs):
                bodies = _bodies(args.events, args.batch)
                seconds, accepted = asyncio.run(_send(url, key, bodies, args.clients))
                assert accepted == args.events, (accepted, args.events)
                rates.append(args.events / seconds)
        finally:
            proc.terminate()
            proc.wait()
    print(
        json.dumps(
            {
                "benchmark": "events_api_batch",
                "events_per_run": args.events,
                "batch_size": args.batch,
                "clients": args.clients,
                "server_workers": args.workers,
                "store": "sqlite (WAL)",
                "runs_events_per_s": [round(r) for r in rates],
                "median_events_per_s": round(statistics.median(rates)),
                "reference_rudderstack_2core_events_per_s": 1700,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
