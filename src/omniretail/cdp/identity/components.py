"""Connected components of an edge table, computed inside the analytics engine.

Iterative label propagation with pointer jumping (each node takes the smallest label among
itself and its neighbours, then the label of its label), in plain SQL that any engine runs:
no graph library, no data pulled into Python. Converges in O(log diameter) rounds on the
star-shaped graphs the identity step builds.
"""

from __future__ import annotations

from omniretail.platform.engine.base import AnalyticsEngine


class ComponentsDidNotConverge(RuntimeError):
    pass


def connected_components(
    engine: AnalyticsEngine,
    *,
    edges: str,
    out: str,
    left: str = "left_node",
    right: str = "right_node",
    max_iterations: int = 64,
) -> int:
    """Write ``out(node, cluster)`` for every node on an edge of ``edges`` (integer node ids);
    ``cluster`` is the smallest node id of the component. Returns the number of rounds."""
    und = f"{out}__und"
    lbl = f"{out}__lbl"
    nxt = f"{out}__next"
    engine.materialize(
        und,
        f"SELECT DISTINCT a, b FROM ("
        f" SELECT {left} AS a, {right} AS b FROM {edges} WHERE {left} <> {right}"
        f" UNION ALL SELECT {right} AS a, {left} AS b FROM {edges} WHERE {left} <> {right})",
        scratch=True,
    )
    engine.materialize(
        lbl, f"SELECT a AS node, min(least(a, b)) AS cluster FROM {und} GROUP BY a", scratch=True
    )
    rounds = 0
    while True:
        rounds += 1
        if rounds > max_iterations:
            raise ComponentsDidNotConverge(
                f"connected components did not converge in {max_iterations} rounds"
            )
        # 1. take the smallest label among the neighbours; 2. pointer jumping
        engine.materialize(
            nxt,
            f"WITH hop AS ("
            f" SELECT l.node, least(l.cluster, min(n.cluster)) AS cluster"
            f" FROM {lbl} l JOIN {und} u ON u.a = l.node JOIN {lbl} n ON n.node = u.b"
            f" GROUP BY l.node, l.cluster)"
            f" SELECT h.node, least(h.cluster, j.cluster) AS cluster"
            f" FROM hop h JOIN hop j ON j.node = h.cluster",
            scratch=True,
        )
        changed = engine.scalar(
            f"SELECT count(*) FROM {nxt} x JOIN {lbl} l USING (node) WHERE x.cluster <> l.cluster"
        )
        engine.materialize(lbl, f"SELECT * FROM {nxt}", scratch=True)
        if not changed:
            break
    engine.materialize(out, f"SELECT node, cluster FROM {lbl}")
    for t in (und, lbl, nxt):
        engine.drop(t)
    return rounds
