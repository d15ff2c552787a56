"""Ranking metrics, defined as in Microsoft Recommenders' ``python_evaluation`` so results
compare with its published benchmark table.

For each evaluated customer u with relevant (test) set R_u and top-k list L_u:

- precision@k = |L_u ∩ R_u| / k
- recall@k    = |L_u ∩ R_u| / |R_u|
- nDCG@k      = Σ_{hits at rank r} 1/log(1+r)  /  Σ_{r=1}^{min(|R_u|,k)} 1/log(1+r)  (binary gain)
- MAP         = (Σ_{n-th hit at rank r} n / r) / |R_u|   (``map`` — the benchmark table's MAP)
- MAP@k       = the same divided by min(|R_u|, k) instead of |R_u|   (``map_at_k``)

each averaged over customers that have both a test set and recommendations (customers with
no hit count as 0). Catalogue coverage = distinct recommended products / products in training.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import numpy as np


def per_user_metrics(recommended: Sequence[str], relevant: set[str], k: int) -> dict[str, float]:
    """The metrics for one customer (``recommended`` is ranked, best first)."""
    top = list(recommended)[:k]
    hits = [r for r, item in enumerate(top, start=1) if item in relevant]
    n_rel = len(relevant)
    if n_rel == 0:
        raise ValueError("a customer in the test set needs at least one relevant item")
    dcg = sum(1.0 / np.log(1.0 + r) for r in hits)
    idcg = sum(1.0 / np.log(1.0 + r) for r in range(1, min(n_rel, k) + 1))
    ap_sum = sum(n / r for n, r in enumerate(hits, start=1))
    return {
        "precision": len(hits) / k,
        "recall": len(hits) / n_rel,
        "ndcg": dcg / idcg,
        "map": ap_sum / n_rel,
        "map_at_k": ap_sum / min(n_rel, k),
    }


def ranking_metrics(
    recommended: Mapping[str, Sequence[str]],
    relevant: Mapping[str, Iterable[str]],
    k: int,
) -> dict[str, float]:
    """Mean metrics over customers present in both ``recommended`` and ``relevant``."""
    users = [u for u in relevant if u in recommended]
    if not users:
        return {"precision": 0.0, "recall": 0.0, "ndcg": 0.0, "map": 0.0, "map_at_k": 0.0}
    sums = {"precision": 0.0, "recall": 0.0, "ndcg": 0.0, "map": 0.0, "map_at_k": 0.0}
    for u in users:
        for name, value in per_user_metrics(recommended[u], set(relevant[u]), k).items():
            sums[name] += value
    return {name: total / len(users) for name, total in sums.items()}


def catalog_coverage(recommended: Mapping[str, Sequence[str]], n_items: int) -> float:
    """Share of the catalogue that appears in at least one customer's list."""
    if n_items == 0:
        return 0.0
    shown = {item for items in recommended.values() for item in items}
    return len(shown) / n_items
