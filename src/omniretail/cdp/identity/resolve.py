"""Identity resolution end to end (身份识别): records → graph → clusters → stable customer ids.

1. strong identifiers become edges, minus blocked and shared values, and so do links a
   source asserts between its records (``std_identity_links``) (graph.py);
2. manual must-links are edges too; cannot-links are constraints (constraints.py);
3. connected components in the engine (components.py), conflicting clusters split on their
   weakest links (conflicts.py) → deterministic clusters;
4. Splink scores weak evidence, trained on those clusters (probabilistic.py) → more edges;
5. components and conflict splitting again over every edge → final clusters;
6. stable customer ids from the previous run (stable_ids.py).

Outputs (data contract): ``identity_map``, ``identity_edges``; for review also
``identity_rejected_edges``, ``identity_shared_values`` and ``identity_changes``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from omniretail.cdp.identity import graph, stable_ids
from omniretail.cdp.identity.components import connected_components
from omniretail.cdp.identity.config import IdentityConfig
from omniretail.cdp.identity.conflicts import conflicting_clusters, split_conflicts
from omniretail.cdp.identity.constraints import Constraint, register_constraints
from omniretail.cdp.identity.probabilistic import probabilistic_edges
from omniretail.platform.config import Settings
from omniretail.platform.engine.base import AnalyticsEngine

EDGE_COLUMNS = "left_node, right_node, rule, CAST(evidence AS VARCHAR) AS evidence, weight"


def _cluster(engine: AnalyticsEngine, cfg: IdentityConfig, edges: str, out: str) -> dict[str, int]:
    rounds = connected_components(engine, edges=edges, out=out, max_iterations=cfg.max_iterations)
    conflicts = conflicting_clusters(engine, cfg, out)
    refused = split_conflicts(engine, cfg, out, edges) if conflicts else 0
    return {"rounds": rounds, "conflicting_clusters": conflicts, "refused_links": refused}


def resolve(
    engine: AnalyticsEngine,
    settings: Settings,
    *,
    cfg: IdentityConfig,
    constraints: list[Constraint],
    log: Callable[[str], None] = lambda _m: None,
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    t0 = time.perf_counter()

    def lap(name: str) -> None:
        out.setdefault("timings", {})[name] = round(time.perf_counter() - t0, 2)
        log(f"identity: {name}")

    columns = graph.available_columns(engine)
    out["records"] = graph.prepare_records(engine, columns)
    kinds = graph.build_values(engine, cfg)
    out["shared_values"] = int(engine.scalar("SELECT count(*) FROM identity_shared_values"))
    out["strong_edges"] = graph.build_strong_edges(engine, cfg, kinds)
    out["source_links"] = graph.build_source_links(engine, cfg)
    out.update(register_constraints(engine, constraints, cfg.manual_weight))
    lap("graph")

    engine.materialize(
        "_idr_edges_det",
        f"SELECT {EDGE_COLUMNS} FROM _idr_strong_edges"
        f" UNION ALL SELECT {EDGE_COLUMNS} FROM _idr_link_edges"
        f" UNION ALL SELECT {EDGE_COLUMNS} FROM _idr_manual_edges",
        scratch=True,
    )
    out["deterministic"] = _cluster(engine, cfg, "_idr_edges_det", "_idr_det")
    lap("deterministic")

    if cfg.splink.enabled:
        out["probabilistic_edges"] = probabilistic_edges(engine, cfg, "_idr_det")
    else:
        out["probabilistic_edges"] = 0
        engine.materialize(
            "_idr_splink_edges", "SELECT * FROM _idr_edges_det WHERE FALSE", scratch=True
        )
    lap("probabilistic")

    engine.materialize(
        "_idr_edges",
        f"SELECT * FROM _idr_edges_det UNION ALL SELECT {EDGE_COLUMNS} FROM _idr_splink_edges",
        scratch=True,
    )
    out["final"] = _cluster(engine, cfg, "_idr_edges", "_idr_cc")
    engine.materialize(
        "_idr_labels",
        "SELECT r.node, coalesce(c.cluster, r.node) AS cluster"
        " FROM _idr_records r LEFT JOIN _idr_cc c USING (node)",
        scratch=True,
    )
    out["previous_records"] = stable_ids.load_previous(engine, settings)
    out["changes"] = stable_ids.assign_ids(engine, settings, "_idr_labels")
    _write_outputs(engine)
    lap("ids")
    stable_ids.persist(engine, settings)
    out["customers"] = int(engine.scalar("SELECT count(DISTINCT customer_id) FROM identity_map"))
    _cleanup(engine)
    return out


def _write_outputs(engine: AnalyticsEngine) -> None:
    engine.materialize(
        "_idr_node_customer",
        "SELECT l.node, r.record_key, r.source, i.customer_id"
        " FROM _idr_labels l JOIN _idr_records r USING (node) JOIN _idr_ids i USING (cluster)",
        scratch=True,
    )
    engine.materialize(
        "identity_edges",
        """
        SELECT a.record_key AS left_key, b.record_key AS right_key, e.rule,
               e.evidence, e.weight, a.customer_id
        FROM _idr_edges e
        JOIN _idr_node_customer a ON a.node = e.left_node
        JOIN _idr_node_customer b ON b.node = e.right_node
        WHERE a.customer_id = b.customer_id
        ORDER BY a.customer_id, e.weight DESC
        """,
    )
    engine.materialize(
        "identity_rejected_edges",
        """
        SELECT a.record_key AS left_key, b.record_key AS right_key, e.rule, e.evidence,
               e.weight, a.customer_id AS left_customer_id, b.customer_id AS right_customer_id,
               coalesce(r.reason, 'conflict') AS reason
        FROM _idr_edges e
        JOIN _idr_node_customer a ON a.node = e.left_node
        JOIN _idr_node_customer b ON b.node = e.right_node
        LEFT JOIN (SELECT least(left_node, right_node) AS x, greatest(left_node, right_node) AS y,
                          min(reason) AS reason
                   FROM _idr_refused_all GROUP BY 1, 2) r
          ON r.x = least(e.left_node, e.right_node) AND r.y = greatest(e.left_node, e.right_node)
        WHERE a.customer_id <> b.customer_id
        """
        if _has_refused(engine)
        else """
        SELECT a.record_key AS left_key, b.record_key AS right_key, e.rule, e.evidence,
               e.weight, a.customer_id AS left_customer_id, b.customer_id AS right_customer_id,
               'conflict' AS reason
        FROM _idr_edges e
        JOIN _idr_node_customer a ON a.node = e.left_node
        JOIN _idr_node_customer b ON b.node = e.right_node
        WHERE a.customer_id <> b.customer_id
        """,
    )
    engine.materialize(
        "identity_map",
        """
        WITH incident AS (
            SELECT left_key AS record_key, rule, weight FROM identity_edges
            UNION ALL SELECT right_key, rule, weight FROM identity_edges
        ),
        top AS (SELECT record_key, max(weight) AS weight FROM incident GROUP BY 1),
        -- ties on weight (a device link and a same-event link): the rule's name decides, not
        -- whichever edge an engine meets first
        best AS (
            SELECT i.record_key, min(i.rule) AS rule
            FROM incident i JOIN top t ON t.record_key = i.record_key AND t.weight = i.weight
            GROUP BY 1
        )
        SELECT n.record_key, n.customer_id, coalesce(b.rule, 'singleton') AS cluster_rule,
               n.source
        FROM _idr_node_customer n LEFT JOIN best b USING (record_key)
        ORDER BY n.customer_id, n.record_key
        """,
    )


def _has_refused(engine: AnalyticsEngine) -> bool:
    return engine.table_exists("_idr_refused_all")


def _cleanup(engine: AnalyticsEngine) -> None:
    for name in engine.list_tables("_idr_"):
        engine.drop(name)
