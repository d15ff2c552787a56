"""A small synthetic retail history with known churn signal, in the data-contract shape."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import numpy as np
import pyarrow as pa

from omniretail.platform.engine.duckdb import DuckDBEngine

START = date(2024, 1, 1)
END = date(2025, 6, 30)

PRODUCTS = [
    # sku, name, category_code, category_name, price, replenish_days
    ("N001", "每日坚果", "NUTS", "坚果", 59.0, 30),
    ("N002", "夏威夷果", "NUTS", "坚果", 39.0, 30),
    ("D001", "芒果干", "DRIED", "果干", 19.0, 45),
    ("G001", "礼盒", "GIFT", "礼盒", 199.0, None),
]


def history(n: int = 1500, seed: int = 0) -> dict[str, pa.Table]:
    """Customers buy at their own pace; each has a dropout day after which they stop buying
    (some never drop out). Nut buyers restock every ~30 days."""
    rng = np.random.default_rng(seed)
    days = (END - START).days
    orders: list[tuple[str, str, datetime, float, str]] = []
    lines: list[tuple[str, str, int, str, float]] = []
    events: list[tuple[str, str, datetime, str]] = []
    for c in range(n):
        cid = f"C{c:09d}"
        first = int(rng.integers(0, days // 2))
        gap = float(rng.gamma(3.0, 12.0))  # mean days between purchases
        dropout = first + int(rng.exponential(250)) if rng.random() < 0.7 else days + 1
        nut_buyer = rng.random() < 0.4
        day = first
        k = 0
        while day <= min(dropout, days):
            oid = f"O{c:05d}{k:03d}"
            when = datetime.combine(START + timedelta(days=day), datetime.min.time()) + timedelta(
                hours=10
            )
            sku = "N001" if nut_buyer else str(rng.choice(["D001", "G001", "N002"]))
            price = next(p[4] for p in PRODUCTS if p[0] == sku)
            orders.append((oid, cid, when, price, str(rng.choice(["pos", "mini"]))))
            lines.append((oid, sku, 1, sku, price))
            if rng.random() < 0.5:
                events.append((f"E{c}{k}", cid, when - timedelta(days=2), "page_view"))
            step = 30 + rng.normal(0, 3) if nut_buyer else rng.exponential(gap)
            day += max(1, round(step))
            k += 1
    return {
        "orders": pa.table(
            {
                "source": ["pos"] * len(orders),
                "order_id": [o[0] for o in orders],
                "customer_id": [o[1] for o in orders],
                "ordered_at": [o[2] for o in orders],
                "status": ["paid"] * len(orders),
                "channel_code": [o[4] for o in orders],
                "gross_amount": [o[3] for o in orders],
                "discount_amount": [0.0] * len(orders),
                "paid_amount": [o[3] for o in orders],
            }
        ),
        "order_lines": pa.table(
            {
                "source": ["pos"] * len(lines),
                "order_id": [x[0] for x in lines],
                "line_no": [x[2] for x in lines],
                "sku": [x[1] for x in lines],
                "quantity": [1] * len(lines),
                "amount": [x[4] for x in lines],
            }
        ),
        "dim_product": pa.table(
            {
                "sku": [p[0] for p in PRODUCTS],
                "name": [p[1] for p in PRODUCTS],
                "category_code": [p[2] for p in PRODUCTS],
                "category_name": [p[3] for p in PRODUCTS],
                "price": [p[4] for p in PRODUCTS],
                "replenish_days": pa.array([p[5] for p in PRODUCTS], type=pa.int32()),
            }
        ),
        "events": pa.table(
            {
                "source": ["app"] * len(events),
                "event_id": [e[0] for e in events],
                "customer_id": [e[1] for e in events],
                "occurred_at": [e[2] for e in events],
                "event_type": [e[3] for e in events],
            }
        ),
    }


def load(engine: DuckDBEngine, tables: dict[str, pa.Table]) -> None:
    for name, table in tables.items():
        engine.register_arrow(name, table)
