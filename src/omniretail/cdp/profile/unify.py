"""Unified orders, order lines, events and reviews (全渠道统一): the std_ tables with the
``customer_id`` of the record that placed them, sorted by customer so that one customer's rows
are read without scanning the table (DuckDB prunes row groups on min/max)."""

from __future__ import annotations

from omniretail.platform.engine.base import AnalyticsEngine

UNIFIED = {
    "orders": "std_orders",
    "events": "std_events",
    "reviews": "std_reviews",
}


def unify_activity(engine: AnalyticsEngine) -> dict[str, int]:
    counts: dict[str, int] = {}
    for target, source in UNIFIED.items():
        if not engine.table_exists(source):
            continue
        engine.materialize(
            target,
            f"SELECT s.*, m.customer_id FROM {source} s"
            f" LEFT JOIN identity_map m ON m.record_key = s.record_key"
            f" ORDER BY m.customer_id NULLS LAST",
        )
        counts[target] = int(engine.scalar(f"SELECT count(*) FROM {target}"))
    if engine.table_exists("std_order_lines") and engine.table_exists("orders"):
        engine.materialize(
            "order_lines",
            "SELECT l.*, o.customer_id FROM std_order_lines l"
            " LEFT JOIN (SELECT source, order_id, any_value(customer_id) AS customer_id"
            "            FROM orders GROUP BY source, order_id) o"
            " ON o.source = l.source AND o.order_id = l.order_id"
            " ORDER BY o.customer_id NULLS LAST",
        )
        counts["order_lines"] = int(engine.scalar("SELECT count(*) FROM order_lines"))
    return counts


def extend_seen(engine: AnalyticsEngine) -> None:
    """Widen ``customers.first_seen_at``/``last_seen_at`` with orders, events and reviews:
    ``last_seen_at`` becomes the customer's latest activity in any channel."""
    parts = []
    if engine.table_exists("orders"):
        parts.append(
            "SELECT customer_id, ordered_at AS seen FROM orders WHERE customer_id IS NOT NULL"
        )
    if engine.table_exists("events"):
        parts.append(
            "SELECT customer_id, occurred_at AS seen FROM events WHERE customer_id IS NOT NULL"
        )
    if engine.table_exists("reviews"):
        parts.append(
            "SELECT customer_id, created_at AS seen FROM reviews WHERE customer_id IS NOT NULL"
        )
    if not parts:
        return
    engine.materialize(
        "_unify_seen",
        f"SELECT customer_id, min(seen) AS first_at, max(seen) AS last_at"
        f" FROM ({' UNION ALL '.join(parts)}) GROUP BY customer_id",
    )
    engine.materialize(
        "customers",
        """
        SELECT c.* REPLACE (
                 least(c.first_seen_at, CAST(s.first_at AS TIMESTAMP)) AS first_seen_at,
                 greatest(c.last_seen_at, CAST(s.last_at AS TIMESTAMP)) AS last_seen_at)
        FROM customers c LEFT JOIN _unify_seen s USING (customer_id)
        ORDER BY c.customer_id
        """,
    )
    engine.drop("_unify_seen")
