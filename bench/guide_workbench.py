"""Clerk workbench latency (/guide/me) on an existing instance (e.g. a demo home): the clerk
with the most bound customers logs in and opens the workbench R times in-process (FastAPI's
test client: server time, no network); prints p50/p95. Baseline in the same run: /api/v1/health.

    OMNIRETAIL_HOME=~/.omniretail python bench/guide_workbench.py [--requests 100]
"""

from __future__ import annotations

import argparse
import os
import secrets
import time

import numpy as np
from fastapi.testclient import TestClient

from omniretail.omnichannel.staff import service as staff_service
from omniretail.omnichannel.store import service as store_service
from omniretail.operations.guide import service
from omniretail.platform import db
from omniretail.platform.auth import service as auth_service
from omniretail.web.app import create_app


def _p(xs: list[float]) -> str:
    p50, p95 = np.percentile(xs, [50, 95])
    return f"p50 {p50:.1f} ms, p95 {p95:.1f} ms (n={len(xs)})"


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
        page, health = [], []
        for _ in range(3):
            c.get("/guide/me").raise_for_status()
        for _ in range(args.requests):
            t = time.perf_counter()
            c.get("/guide/me").raise_for_status()
            page.append((time.perf_counter() - t) * 1000)
            t = time.perf_counter()
            c.get("/api/v1/health").raise_for_status()
            health.append((time.perf_counter() - t) * 1000)
    print(f"clerk {clerk}: {counts[clerk]} bound customers")
    print(f"/guide/me: {_p(page)}")
    print(f"/api/v1/health (baseline): {_p(health)}")
    print(f"load average {os.getloadavg()}")


if __name__ == "__main__":
    main()
