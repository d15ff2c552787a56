"""Clerk workbench latency (/guide/me) on an existing instance (e.g. a demo home): the clerk
with the most bound customers logs in and opens the workbench R times in-process (FastAPI's
test client: server time, no network); prints p50/p95 of the wall time and the median CPU time
per request (the process's CPU seconds over the request, every thread: the figure a busy shared
machine does not inflate), then the CPU of the page's parts (once each, median of 5). Baseline
in the same run: /api/v1/health.

    OMNIRETAIL_HOME=~/.omniretail python bench/guide_workbench.py [--requests 100]
"""

from __future__ import annotations

import argparse
import os
import secrets
import time
from collections.abc import Callable

import numpy as np
from fastapi.testclient import TestClient

from omniretail.omnichannel.staff import service as staff_service
from omniretail.omnichannel.store import service as store_service
from omniretail.operations.guide import service
from omniretail.platform import db
from omniretail.platform.auth import service as auth_service
from omniretail.web.app import create_app


def _p(xs: list[float], cpu: list[float]) -> str:
    p50, p95 = np.percentile(xs, [50, 95])
    c50, c95 = np.percentile(cpu, [50, 95])
    return (
        f"wall p50 {p50:.1f} ms, p95 {p95:.1f} ms; CPU p50 {c50:.1f} ms, p95 {c95:.1f} ms"
        f" (n={len(xs)})"
    )


def _timed(fn: Callable[[], object], out: list[float], cpu: list[float]) -> None:
    t, c = time.perf_counter(), time.process_time()
    fn()
    out.append((time.perf_counter() - t) * 1000)
    cpu.append((time.process_time() - c) * 1000)


def _parts(clerk: str) -> dict[str, float]:
    """CPU ms (median of 5) of what the page reads: the clerk's tasks, customers, their
    snapshot cards (tags, last orders), visits and reply metrics."""
    from omniretail.operations.guide import chats, report, worklist
    from omniretail.operations.guide.pages import _on_snapshot
    from omniretail.platform.timezone import chain_now

    out: dict[str, float] = {}
    with db.session_scope() as s:
        now = chain_now()
        ids = [c.customer_id for c in service.customers_page(s, staff_code=clerk).items]
        parts: dict[str, Callable[[], object]] = {
            "tasks": lambda: worklist.tasks_of(s, staff_code=clerk, day=now.date()),
            "customers": lambda: service.customers_page(s, staff_code=clerk),
            "snapshot cards": lambda: _on_snapshot(lambda e: report.customer_cards(e, ids), {}),
            "visits": lambda: worklist.visits_of(s, staff_code=clerk, limit=5),
            "reply metrics": lambda: chats.reply_stats(
                s, since=now - report.REPLY_WINDOW, until=now, staff_codes=[clerk]
            ),
        }
        for name, fn in parts.items():
            fn()
            cpu: list[float] = []
            for _ in range(5):
                _timed(fn, [], cpu)
            out[name] = float(np.median(cpu))
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", type=int, default=100)
    args = ap.parse_args()
    with db.session_scope() as s:
        counts = service.bound_counts(s)
        clerk = max(counts, key=lambda c: (counts[c], c))
        password = secrets.token_urlsafe(12)
        store = staff_service.get_staff(s, staff_id=clerk).store_code
        ids = store_service.store_ids_by_code(s, codes=[store]) if store else {}
        auth_service.ensure_user(s, username=clerk, password=password, role="clerk",
                                 store_ids=list(ids.values()))  # fmt: skip
    with TestClient(create_app()) as c:
        r = c.post("/api/v1/auth/login", json={"username": clerk, "password": password})
        r.raise_for_status()
        page: list[float] = []
        health: list[float] = []
        page_cpu: list[float] = []
        health_cpu: list[float] = []
        for _ in range(3):
            c.get("/guide/me").raise_for_status()
        for _ in range(args.requests):
            _timed(lambda: c.get("/guide/me").raise_for_status(), page, page_cpu)
            _timed(lambda: c.get("/api/v1/health").raise_for_status(), health, health_cpu)
    print(f"clerk {clerk}: {counts[clerk]} bound customers ({sum(counts.values())} in all)")
    print(f"/guide/me: {_p(page, page_cpu)}")
    print(f"/api/v1/health (baseline): {_p(health, health_cpu)}")
    print("parts, CPU ms: " + ", ".join(f"{k} {v:.1f}" for k, v in _parts(clerk).items()))
    print(f"load average {os.getloadavg()}")


if __name__ == "__main__":
    main()
