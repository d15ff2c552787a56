"""Why are these records one customer? (合并解释) — the chain of links between two records.

Reads the analytics snapshot (``identity_map``, ``identity_edges``), filtered by customer id:
both tables are sorted by customer, so one customer's rows are read without a full scan.
"""

from __future__ import annotations

import json
from collections import deque
from typing import Any

from omniretail.cdp.identity.errors import CustomerNotResolved
from omniretail.cdp.identity.schemas import Chain, CustomerCluster, Explanation
from omniretail.platform.engine.base import AnalyticsEngine


def customer_of_record(engine: AnalyticsEngine, record_key: str) -> str | None:
    value = engine.scalar("SELECT customer_id FROM identity_map WHERE record_key = ?", [record_key])
    return str(value) if value is not None else None


def cluster(engine: AnalyticsEngine, customer_id: str) -> CustomerCluster:
    """Records and links of one customer."""
    records = engine.fetch_rows(
        "SELECT record_key, source, cluster_rule FROM identity_map WHERE customer_id = ?"
        " ORDER BY record_key",
        [customer_id],
    )
    if not records:
        raise CustomerNotResolved(f"no customer {customer_id!r} in the analytics snapshot")
    edges = engine.fetch_rows(
        "SELECT left_key, right_key, rule, evidence, weight FROM identity_edges"
        " WHERE customer_id = ? ORDER BY weight DESC, left_key, right_key",
        [customer_id],
    )
    for edge in edges:
        edge["evidence"] = json.loads(edge["evidence"]) if edge["evidence"] else None
    return CustomerCluster.model_validate(
        {"customer_id": customer_id, "records": records, "edges": edges}
    )


def path(edges: list[dict[str, Any]], start: str, goal: str) -> list[dict[str, Any]]:
    """The chain of links from ``start`` to ``goal`` using the strongest links first
    (breadth-first over links sorted by weight)."""
    if start == goal:
        return []
    adjacency: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    for edge in sorted(edges, key=lambda e: -float(e["weight"])):
        adjacency.setdefault(edge["left_key"], []).append((edge["right_key"], edge))
        adjacency.setdefault(edge["right_key"], []).append((edge["left_key"], edge))
    previous: dict[str, tuple[str, dict[str, Any]]] = {}
    queue = deque([start])
    seen = {start}
    while queue:
        node = queue.popleft()
        if node == goal:
            break
        for nxt, edge in adjacency.get(node, []):
            if nxt not in seen:
                seen.add(nxt)
                previous[nxt] = (node, edge)
                queue.append(nxt)
    if goal not in previous:
        return []
    chain: list[dict[str, Any]] = []
    node = goal
    while node != start:
        before, edge = previous[node]
        chain.append({"from": before, "to": node, **edge})
        node = before
    chain.reverse()
    return chain


def explain(
    engine: AnalyticsEngine,
    customer_id: str,
    *,
    record_a: str | None = None,
    record_b: str | None = None,
) -> Explanation:
    """The customer's records and links; with two records, the chain of links between them
    (by default from the first record to each other record)."""
    found = cluster(engine, customer_id)
    keys = [r.record_key for r in found.records]
    for key in (record_a, record_b):
        if key is not None and key not in keys:
            raise CustomerNotResolved(
                f"record {key!r} does not belong to customer {customer_id}", field="record"
            )
    start = record_a or keys[0]
    goals = [record_b] if record_b else [k for k in keys if k != start]
    edges = [e.model_dump() for e in found.edges]
    return Explanation(
        customer_id=found.customer_id,
        records=found.records,
        edges=found.edges,
        chains=[
            Chain.model_validate({"from": start, "to": goal, "links": path(edges, start, goal)})
            for goal in goals
        ],
    )
