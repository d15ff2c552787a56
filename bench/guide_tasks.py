"""Clerk task generation at chain scale: 7,000 clerks in 2,000 stores, 1M bound members, the
tags of 1M members in DuckDB; generates one day's task lists R times (the day's tasks removed
between runs) and prints the median. Baseline in the same run: reading the 1M bindings out of
the operational store alone (the floor any generator pays).

    python bench/guide_tasks.py [--clerks 7000 --members 1000000 --runs 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from datetime import UTC, date, datetime

import numpy as np
import pyarrow as pa
from sqlalchemy import delete

from omniretail.operations.guide import service, tasks
from omniretail.operations.guide.models import GuideTask
from omniretail.platform.engine.duckdb import DuckDBEngine


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--clerks", type=int, default=7000)
    ap.add_argument("--stores", type=int, default=2000)
    ap.add_argument("--members", type=int, default=1_000_000)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    home = tempfile.mkdtemp(prefix="guide-bench-")
    os.environ["OMNIRETAIL_HOME"] = home
    os.environ["OMNIRETAIL_DEMO"] = "1"
    from omniretail.omnichannel.staff import service as staff_service
    from omniretail.omnichannel.staff.schemas import StaffCreate
    from omniretail.omnichannel.store import service as store_service
    from omniretail.omnichannel.store.schemas import StoreCreate
    from omniretail.platform import db, migrate

    migrate.upgrade()
    rng = np.random.default_rng(4)
    t0 = time.perf_counter()
    with db.session_scope() as s:
        store_service.upsert_stores(
            s, stores=[StoreCreate(code=f"S{i:04d}", name=f"门店{i}") for i in range(args.stores)]
        )
        staff_service.upsert_staff(
            s,
            staff=[
                StaffCreate(
                    staff_id=f"G{i:05d}", name=f"导购{i}", store_code=f"S{i % args.stores:04d}"
                )
                for i in range(args.clerks)
            ],
        )
        at = datetime(2026, 6, 1, tzinfo=UTC)
        clerk_of = rng.integers(0, args.clerks, args.members)
        service.import_bindings(
            s, rows=[(f"C{i:09d}", f"G{c:05d}", at) for i, c in enumerate(clerk_of.tolist())]
        )
    setup = time.perf_counter() - t0
    n = args.members
    engine = DuckDBEngine()
    engine.register_arrow(
        "customer_tags",
        pa.table(
            {
                "customer_id": [f"C{i:09d}" for i in range(n)],
                "lifecycle_stage": rng.choice(["active", "dormant", "new", "churned"], n),
                "rfm_m": rng.integers(1, 6, n),
                "sales_total": rng.gamma(1.5, 400, n),
                "birthday_this_month": rng.random(n) < 1 / 12,
                "overdue_ratio": rng.gamma(2, 0.5, n),
                "new_product_lover": rng.random(n) < 0.1,
            }
        ),
    )
    floor: list[float] = []
    gen: list[float] = []
    out = None
    for _ in range(args.runs):
        with db.session_scope() as s:
            t = time.perf_counter()
            tasks.bindings_table(s)
            floor.append(time.perf_counter() - t)
        with db.session_scope() as s:
            s.execute(delete(GuideTask))
        with db.session_scope() as s:
            t = time.perf_counter()
            out = tasks.generate_tasks(s, engine, day=date(2026, 12, 7))
        gen.append(time.perf_counter() - t)  # including the commit
    assert out is not None
    print(f"setup {setup:.1f} s; {args.clerks} clerks, {n} bound members")
    print(f"tasks: {out.tasks} for {out.clerks} clerks, {out.by_kind}")
    print(f"generate: median {statistics.median(gen):.2f} s, runs {[round(x, 2) for x in gen]}")
    print(f"baseline (read the bindings only): median {statistics.median(floor):.2f} s")
    print(f"load average {os.getloadavg()}")


if __name__ == "__main__":
    main()
