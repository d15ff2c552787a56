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
from itertools import chain

import numpy as np
import pandas as pd


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


def ranking_metrics_of_positions(
    positions: np.ndarray,
    item_ids: np.ndarray,
    users: Sequence[str],
    relevant: Mapping[str, Iterable[str]],
    k: int,
) -> dict[str, float]:
    """:func:`ranking_metrics` of lists given as item positions, computed on arrays.

    ``positions[r]`` is the ranked list of customer ``users[r]`` as positions into
    ``item_ids`` (best first, -1 = no product); the result is that of
    ``ranking_metrics({users[r]: [str(item_ids[j]) for j in positions[r] if j >= 0]},
    relevant, k)``, bit for bit: each customer's sums run over the ranks in the same order with
    the same terms (the discounts ``1 / log(1 + r)`` computed as there), and the means add the
    customers in the order of ``relevant``. The evaluation's hot path (no list of strings per
    customer and algorithm)."""
    row_of = {str(u): r for r, u in enumerate(users)}
    order = [row_of[u] for u in relevant if u in row_of]
    names = ("precision", "recall", "ndcg", "map", "map_at_k")
    if not order:
        return dict.fromkeys(names, 0.0)
    positions = np.asarray(positions, dtype=np.int64).reshape(len(users), -1)
    n_rows = len(users)
    # each customer's relevant products as positions (-1: not a product of the model)
    sets = [set(relevant[u]) for u in relevant if u in row_of]
    if any(not items for items in sets):
        raise ValueError("a customer in the test set needs at least one relevant item")
    n_rel = np.zeros(n_rows, dtype=np.int64)
    n_rel[order] = [len(items) for items in sets]
    labels = np.fromiter(chain.from_iterable(sets), dtype=object, count=int(n_rel.sum()))
    owner = np.repeat(np.asarray(order, dtype=np.int64), n_rel[order])
    found = pd.Index(np.asarray(item_ids, dtype=object).astype(str)).get_indexer(labels)
    width = np.int64(len(item_ids) + 1)
    keys = owner[found >= 0] * width + found[found >= 0]
    valid = positions >= 0
    rank = np.cumsum(valid, axis=1)  # the 1-based rank among the listed products
    valid &= rank <= k
    flat = np.arange(n_rows, dtype=np.int64)[:, None] * width + positions
    hit = valid & np.isin(flat, keys)
    # the discounts and the ideal DCGs (by min(|R_u|, k)) as per_user_metrics computes them
    discount = np.array([1.0 / np.log(1.0 + r) for r in range(1, k + 1)] + [0.0])
    ideal = np.array(
        [0.0] + [sum(1.0 / np.log(1.0 + r) for r in range(1, m + 1)) for m in range(1, k + 1)]
    )
    dcg = np.zeros(n_rows, dtype=np.float64)
    ap_sum = np.zeros(n_rows, dtype=np.float64)
    hits = np.zeros(n_rows, dtype=np.int64)
    for c in range(positions.shape[1]):
        h = hit[:, c]
        r = rank[:, c]
        hits = hits + h
        dcg = dcg + np.where(h, discount[np.minimum(r, k) - 1], 0.0)
        ap_sum = ap_sum + np.where(h, hits / np.maximum(r, 1), 0.0)
    rows = np.asarray(order, dtype=np.int64)
    n_rel_f = n_rel[rows]
    per_user = {
        "precision": hits[rows] / k,
        "recall": hits[rows] / n_rel_f,
        "ndcg": dcg[rows] / ideal[np.minimum(n_rel_f, k)],
        "map": ap_sum[rows] / n_rel_f,
        "map_at_k": ap_sum[rows] / np.minimum(n_rel_f, k),
    }
    out: dict[str, float] = {}
    for name in names:
        total = 0.0
        for value in per_user[name].tolist():  # one customer after the other, as the reference
            total += value
        out[name] = total / len(rows)
    return out


def catalog_coverage_of_positions(positions: np.ndarray, n_items: int) -> float:
    """:func:`catalog_coverage` of lists given as item positions (-1 = no product)."""
    if n_items == 0:
        return 0.0
    shown = np.unique(positions[positions >= 0])
    return len(shown) / n_items
