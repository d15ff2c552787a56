"""A small deterministic traffic world for the console page: three stores in two regions, hourly
counts and in-store tickets for September-October 2026 and the same weeks of 2025, through the
real step ``insight.traffic`` into an analytics file.

The figures are chosen so that the page's numbers can be computed here independently:
S201 has twice the visitors of S202; S203's door ``D9`` is not in its registry on
2026-10-10 (an ``unknown_door`` day, not counted).
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa

from omniretail.platform import pipeline
from omniretail.platform.config import Settings
from omniretail.platform.engine import DuckDBEngine

STORES = [
    {"store_code": "S201", "name": "武汉江汉路店", "region": "华中", "area_m2": 120.0},
    {"store_code": "S202", "name": "武汉光谷店", "region": "华中", "area_m2": 80.0},
    {"store_code": "S203", "name": "广州天河店", "region": "华南", "area_m2": 100.0},
]
DOORS = [("S201", "D1", True), ("S201", "D2", False), ("S202", "D1", True), ("S203", "D1", False)]
HOURS = range(9, 22)
BAD_DAY = date(2026, 10, 10)  # S203: counts of an unregistered door
BEFORE_COUNTERS = date(2025, 8, 20)


def _days() -> list[date]:
    spans = [(date(2025, 9, 1), date(2025, 11, 5)), (date(2026, 9, 1), date(2026, 10, 31))]
    out: list[date] = []
    for a, b in spans:
        out += [a + timedelta(days=i) for i in range((b - a).days + 1)]
    return out


def tables(seed: int = 7) -> dict[str, pa.Table]:
    rng = random.Random(seed)
    counts: list[dict[str, Any]] = []
    orders: list[dict[str, Any]] = []
    for day in _days():
        growth = 1.1 if day.year == 2026 else 1.0
        for store in STORES:
            code = store["store_code"]
            size = {"S201": 2.0, "S202": 1.0, "S203": 1.5}[code] * growth
            for hour in HOURS:
                peak = 1.6 if hour in (12, 18, 19) else 1.0
                visitors = int(20 * size * peak) + rng.randrange(5)
                doors = [d for d in DOORS if d[0] == code]
                for i, (_, door, passing) in enumerate(doors):
                    share = visitors if len(doors) == 1 else (visitors * (2 - i)) // 3
                    counts.append(
                        {
                            "store_code": code,
                            "door_code": door,
                            "bucket_start": datetime.combine(day, datetime.min.time())
                            + timedelta(hours=hour),
                            "in_count": share,
                            "out_count": share,
                            "passers_by": share * 5 if passing else None,
                        }
                    )
                if code == "S203" and day == BAD_DAY and hour == 12:
                    counts.append({**counts[-1], "door_code": "D9"})
                tickets = max(1, visitors // (4 if day.year == 2026 else 5))
                for _ in range(tickets):
                    orders.append(
                        {
                            "store_code": code,
                            "order_day": day,
                            "order_hour": hour,
                            "paid_amount": Decimal(rng.randrange(3000, 9000)) / 100,
                            "units": rng.randrange(1, 4),
                            "customer_id": f"C{rng.randrange(500):04d}"
                            if rng.random() < 0.6
                            else None,
                            "online": False,
                            "status": "paid",
                        }
                    )
    # a sale before the counters were installed: no counter_stopped finding that day
    orders.append({**orders[0], "store_code": "S202", "order_day": BEFORE_COUNTERS})
    return {
        "dim_store": pa.Table.from_pylist(STORES),
        "dim_traffic_door": pa.Table.from_pylist(
            [
                {"store_code": s, "door_code": d, "name": d, "counts_passers_by": p}
                for s, d, p in DOORS
            ]
        ),
        "std_traffic_counts": pa.Table.from_pylist(counts),
        "ins_order_facts": pa.Table.from_pylist(
            orders,
            schema=pa.schema(
                [
                    ("store_code", pa.string()),
                    ("order_day", pa.date32()),
                    ("order_hour", pa.int32()),
                    ("paid_amount", pa.decimal128(12, 2)),
                    ("units", pa.int64()),
                    ("customer_id", pa.string()),
                    ("online", pa.bool_()),
                    ("status", pa.string()),
                ]
            ),
        ),
    }


def write_traffic_snapshot(path: Path, home: Path) -> DuckDBEngine:
    """The world's tables and the step's output in the DuckDB file ``path``; the open engine
    is returned (close it before serving the file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    engine = DuckDBEngine(path)
    for name, table in tables().items():
        engine.register_arrow(name, table)
    ctx = pipeline.PipelineContext(
        engine=engine, settings=Settings(home=home, demo=True), full_refresh=True
    )
    pipeline.run(ctx, only=["insight.traffic"])
    return engine
