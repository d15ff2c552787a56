"""Split over-merged clusters on their weakest links (冲突拆分).

A cluster is in conflict when it holds two different values of a conflicting identifier kind
from the same source (two member cards of the same programme) or both ends of a manual
cannot-link. Only those clusters (a small share) are fetched; each is rebuilt by adding its
links strongest first and refusing any link that would join conflicting records (Kruskal with
constraints), so the weakest links are the ones cut. Labels and the refused links with their
reasons are written back to the engine.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pyarrow as pa

from omniretail.cdp.identity.config import IdentityConfig
from omniretail.platform.engine.base import AnalyticsEngine
from omniretail.platform.engine.dialect import string


@dataclass
class _Group:
    nodes: set[int]
    # (kind, source) -> {value: normalised name of the record holding it (or None)}
    ids: dict[tuple[str, str], dict[str, str | None]] = field(default_factory=dict)
    forbidden: set[int] = field(default_factory=set)


def conflicting_clusters(engine: AnalyticsEngine, cfg: IdentityConfig, labels: str) -> int:
    """``_idr_conflicts(cluster)``: clusters of ``labels(node, cluster)`` that are in conflict."""
    kinds = ", ".join(string(k) for k in cfg.conflicting_kinds) or "NULL"
    names_differ = (
        "count(DISTINCT r.name_norm) > 1" if cfg.conflicts_need_different_names else "TRUE"
    )
    engine.materialize(
        "_idr_conflicts",
        f"""
        SELECT DISTINCT cluster FROM (
            SELECT l.cluster FROM {labels} l JOIN _idr_values v USING (node)
            JOIN _idr_records r USING (node)
            WHERE v.kind IN ({kinds})
            GROUP BY l.cluster, v.kind, v.source
            HAVING count(DISTINCT v.value) > 1 AND {names_differ}
            UNION ALL
            SELECT a.cluster FROM _idr_cannot c
            JOIN {labels} a ON a.node = c.left_node JOIN {labels} b ON b.node = c.right_node
            WHERE a.cluster = b.cluster
        )
        """,
        scratch=True,
    )
    return int(engine.scalar("SELECT count(*) FROM _idr_conflicts"))


def split_conflicts(engine: AnalyticsEngine, cfg: IdentityConfig, labels: str, edges: str) -> int:
    """Relabel the conflicting clusters of ``labels`` in place; refused links go to
    ``_idr_refused(left_node, right_node, reason)``. Returns the number of refused links."""
    kinds = ", ".join(string(k) for k in cfg.conflicting_kinds) or "NULL"
    nodes = engine.fetch_rows(
        f"SELECT l.node, l.cluster FROM {labels} l JOIN _idr_conflicts USING (cluster)"
    )
    ids = engine.fetch_rows(
        f"SELECT v.node, v.kind, v.source, v.value, r.name_norm FROM _idr_values v"
        f" JOIN _idr_records r USING (node)"
        f" JOIN {labels} l USING (node) JOIN _idr_conflicts USING (cluster)"
        f" WHERE v.kind IN ({kinds})"
    )
    links = engine.fetch_rows(
        f"""
        SELECT least(e.left_node, e.right_node) AS a, greatest(e.left_node, e.right_node) AS b,
               sum(e.weight) AS weight, string_agg(DISTINCT e.rule, ',') AS rules
        FROM {edges} e JOIN {labels} l ON l.node = e.left_node
        JOIN _idr_conflicts USING (cluster)
        GROUP BY 1, 2
        """
    )
    cannot = engine.fetch_rows(
        "SELECT c.left_node, c.right_node FROM _idr_cannot c"
        f" JOIN {labels} l ON l.node = c.left_node JOIN _idr_conflicts USING (cluster)"
    )
    groups: dict[int, _Group] = {}
    parent: dict[int, int] = {}
    for row in nodes:
        n = int(row["node"])
        groups[n] = _Group(nodes={n})
        parent[n] = n
    for row in ids:
        key = (row["kind"], row["source"])
        groups[int(row["node"])].ids.setdefault(key, {})[row["value"]] = row["name_norm"]
    for row in cannot:
        a, b = int(row["left_node"]), int(row["right_node"])
        if a in groups and b in groups:
            groups[a].forbidden.add(b)
            groups[b].forbidden.add(a)

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    refused: list[dict[str, object]] = []
    links.sort(key=lambda r: (-float(r["weight"]), int(r["a"]), int(r["b"])))
    for link in links:
        a, b = int(link["a"]), int(link["b"])
        if a not in parent or b not in parent:
            continue
        ra, rb = find(a), find(b)
        if ra == rb:
            continue
        ga, gb = groups[ra], groups[rb]
        reason = _conflict(ga, gb, cfg.conflicts_need_different_names)
        if reason:
            refused.append({"left_node": a, "right_node": b, "reason": reason})
            continue
        if len(ga.nodes) < len(gb.nodes):
            ra, rb, ga, gb = rb, ra, gb, ga
        parent[rb] = ra
        ga.nodes |= gb.nodes
        for key, values in gb.ids.items():
            ga.ids.setdefault(key, {}).update(values)
        ga.forbidden |= gb.forbidden
        del groups[rb]

    relabel_nodes: list[int] = []
    relabel_clusters: list[int] = []
    for group in groups.values():
        label = min(group.nodes)
        relabel_nodes.extend(group.nodes)
        relabel_clusters.extend([label] * len(group.nodes))
    engine.register_arrow(
        "_idr_relabel",
        pa.table(
            {
                "node": pa.array(relabel_nodes, pa.int64()),
                "cluster": pa.array(relabel_clusters, pa.int64()),
            }
        ),
        scratch=True,
    )
    engine.register_arrow(
        "_idr_refused",
        pa.table(
            {
                "left_node": pa.array([r["left_node"] for r in refused], pa.int64()),
                "right_node": pa.array([r["right_node"] for r in refused], pa.int64()),
                "reason": pa.array([str(r["reason"]) for r in refused], pa.string()),
            }
        ),
        scratch=True,
    )
    if engine.table_exists("_idr_refused_all"):
        engine.append("_idr_refused_all", "SELECT * FROM _idr_refused")
    else:
        engine.materialize("_idr_refused_all", "SELECT * FROM _idr_refused", scratch=True)
    engine.materialize(
        labels,
        f"SELECT l.node, coalesce(x.cluster, l.cluster) AS cluster"
        f" FROM {labels} l LEFT JOIN _idr_relabel x USING (node)",
    )
    engine.drop("_idr_relabel")
    return len(refused)


def _conflict(a: _Group, b: _Group, need_different_names: bool) -> str | None:
    small, large = (a, b) if len(a.nodes) <= len(b.nodes) else (b, a)
    if small.nodes & large.forbidden:
        return "cannot_link"
    for key, values in small.ids.items():
        others = large.ids.get(key)
        if not others:
            continue
        for value, name in values.items():
            for other, other_name in others.items():
                if other == value:
                    continue
                if not need_different_names or (name and other_name and name != other_name):
                    return f"conflicting_{key[0]}:{key[1]}"
    return None
