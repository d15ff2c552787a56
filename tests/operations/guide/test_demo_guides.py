"""The demo's shopping guides: customers bound to the clerk who first served them, transfers in
the same store, three weeks of worked tasks whose outcomes the evaluation can read."""

from __future__ import annotations

from datetime import datetime, timedelta

import pyarrow as pa
from sqlalchemy.orm import Session

from omniretail.demo import guides
from omniretail.operations.guide import evaluate, service
from omniretail.platform.engine.duckdb import DuckDBEngine
from tests.operations.guide.factories import guide_world

END = datetime(2026, 10, 31, 20, 0)


def test_demo_guides(sqlite_session: Session) -> None:
    ids = guide_world(sqlite_session, customers=60)
    engine = DuckDBEngine()
    rows = []
    for i, c in enumerate(ids):
        first = END - timedelta(days=200 - i)
        rows.append((c, "G1" if i % 3 else "G2", first))  # first served by G1 or G2
        rows.append((c, "G3", first + timedelta(days=1)))  # later by G3: first touch wins
        rows.append((c, None, END - timedelta(days=i % 20)))
    engine.register_arrow("orders", pa.table({
        "customer_id": [r[0] for r in rows], "staff_code": [r[1] for r in rows],
        "ordered_at": pa.array([r[2] for r in rows], pa.timestamp("us")),
        "status": ["paid"] * len(rows),
    }))  # fmt: skip
    engine.register_arrow("customer_tags", pa.table({
        "customer_id": ids, "lifecycle_stage": ["active"] * 60, "rfm_m": [3] * 60,
        "sales_total": [100.0] * 60, "birthday_this_month": [False] * 60,
        "overdue_ratio": [1.0 if i % 2 else 0.2 for i in range(60)],
        "new_product_lover": [i % 5 == 0 for i in range(60)],
    }))  # fmt: skip
    out = guides.build(sqlite_session, engine, seed=1)
    assert out["bound"] == 60
    counts = service.bound_counts(sqlite_session)
    assert set(counts) <= {"G1", "G2"}  # G3 never took anyone (first touch)
    assert out["tasks"] > 0
    assert guides.build(sqlite_session, engine, seed=1) == {}  # a rerun adds nothing
    result = evaluate.evaluate(sqlite_session, engine)
    assert result["clerk_1to1"]["contacts"] > 0
    assert result["sms_source"] == "simulated"
