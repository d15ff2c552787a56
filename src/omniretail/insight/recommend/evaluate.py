"""Offline evaluation of recommenders (离线评估) on any interaction file.

``evaluate`` splits the data (``random``: per-customer stratified 75/25 as in Microsoft
Recommenders' benchmark; ``time``: a global cutoff), fits each algorithm on the training part,
recommends the top k for every test customer with already-seen products removed, and scores the
lists against the test interactions (every test interaction is relevant). See ``metrics.py``.

``max_test_users`` bounds the customers ranked: above it, a uniform sample of that many test
customers drawn with ``seed`` (the same customers for every algorithm, whatever the order of the
rows) is scored, and the report says how many of how many (``data.test_users`` of
``data.test_users_eligible``; ``test_customers`` beside every algorithm's metrics).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np
import pandas as pd

from omniretail.insight.recommend.base import BATCH_USERS, Recommender, available, create
from omniretail.insight.recommend.errors import InvalidInteractions
from omniretail.insight.recommend.hybrid import HybridRecommender
from omniretail.insight.recommend.interactions import Interactions
from omniretail.insight.recommend.metrics import (
    catalog_coverage_of_positions,
    ranking_metrics,
    ranking_metrics_of_positions,
)
from omniretail.insight.recommend.split import stratified_split, time_split

DEFAULT_ALGORITHMS = ("popularity", "itemknn", "sar", "als", "ease", "content", "hybrid")


def catalog_from_interactions(
    frame: pd.DataFrame,
    *,
    item_col: str,
    text_col: str | None = None,
    category_col: str | None = None,
) -> pd.DataFrame | None:
    """Product attributes carried by the interaction file itself (e.g. a description column)."""
    cols = [c for c in (text_col, category_col) if c]
    if not cols:
        return None
    for col in cols:
        if col not in frame.columns:
            raise InvalidInteractions(f"column {col!r} is not in the interactions", field=col)
    rename = {text_col: "name", category_col: "category_code"}
    items = (
        frame[[item_col, *cols]]
        .dropna(subset=cols)
        .drop_duplicates(subset=[item_col], keep="last")
        .rename(columns={k: v for k, v in rename.items() if k})
    )
    items["item_id"] = items[item_col].astype(str)
    return items


def evaluate(
    frame: pd.DataFrame,
    *,
    user_col: str,
    item_col: str,
    time_col: str | None = None,
    rating_col: str | None = None,
    split: str = "random",
    test_ratio: float = 0.25,
    k: int = 10,
    algorithms: Sequence[str] | None = None,
    items: pd.DataFrame | None = None,
    params: Mapping[str, dict[str, Any]] | None = None,
    remove_seen: bool = True,
    seed: int = 42,
    max_test_users: int | None = None,
    on_algorithm: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Evaluate recommenders; returns a JSON-ready dict with one entry per algorithm."""
    for col in (user_col, item_col, time_col, rating_col):
        if col is not None and col not in frame.columns:
            raise InvalidInteractions(
                f"column {col!r} is not in the interactions (columns: {list(frame.columns)})",
                field=col,
            )
    if k < 1:
        raise InvalidInteractions("--k must be at least 1", field="k")
    complete = frame.dropna(subset=[user_col, item_col])
    dropped = len(frame) - len(complete)
    if split == "random":
        train, test = stratified_split(
            complete, user_col=user_col, test_ratio=test_ratio, seed=seed
        )
    elif split == "time":
        if time_col is None:
            raise InvalidInteractions("--split time needs --time-col", field="time_col")
        train, test = time_split(complete, time_col=time_col, test_ratio=test_ratio)
    else:
        raise InvalidInteractions("--split must be 'random' or 'time'", field="split")

    train_inter = Interactions.from_frame(
        train, user_col=user_col, item_col=item_col, time_col=time_col, weight_col=rating_col
    )
    # every test row: a customer with no training history (cold), a product the customer
    # bought in training (a repeat, when seen products are removed) or a relevant product
    test_users_col = test[user_col].astype(str).to_numpy(dtype=object)
    test_items_col = test[item_col].astype(str).to_numpy(dtype=object)
    u_code = pd.Index(train_inter.users).get_indexer(test_users_col)
    i_code = pd.Index(train_inter.items).get_indexer(test_items_col)
    is_cold = u_code < 0
    is_repeat = np.zeros(len(test), dtype=bool)
    if remove_seen:
        n_items = np.int64(train_inter.n_items)
        pairs = train_inter.user_codes.astype(np.int64) * n_items + train_inter.item_codes
        bought = np.unique(pairs)
        known = ~is_cold & (i_code >= 0)
        is_repeat[known] = np.isin(u_code[known] * n_items + i_code[known], bought)
    is_relevant = ~is_cold & ~is_repeat
    rows_cold, rows_repeat = int(is_cold.sum()), int(is_repeat.sum())
    rows_scored = int(is_relevant.sum())
    relevant = _items_by_user(test_users_col[is_relevant], test_items_col[is_relevant])
    cold = _items_by_user(test_users_col[is_cold], test_items_col[is_cold])  # no history at all
    eligible = sorted(relevant)
    test_users = _sample(eligible, max_test_users, seed)
    if len(test_users) < len(eligible):
        relevant = {u: relevant[u] for u in test_users}
    codes = np.array([train_inter.user_index[u] for u in test_users], dtype=np.int64)
    all_test_users = set(test_users_col)

    names = list(algorithms) if algorithms else [a for a in DEFAULT_ALGORITHMS if a in available()]
    if items is None:
        names = [n for n in names if not create(n).needs_items]
    stray = sorted(set(params or {}) - set(names))
    if stray:
        raise InvalidInteractions(
            f"parameters given for {', '.join(stray)}, which is not evaluated "
            f"(evaluating {', '.join(names)})",
            field="params",
        )
    results: dict[str, Any] = {}
    fitted: dict[str, Any] = {}  # models fitted on this split, for the hybrid's members
    train_seconds: dict[str, float] = {}
    for name in names:
        if on_algorithm:
            on_algorithm(name)
        model = create(name, **(params or {}).get(name, {}))
        if isinstance(model, HybridRecommender):
            model.reuse_members(fitted)
        t0 = time.perf_counter()
        model.fit(train_inter, items)
        train_seconds[name] = time.perf_counter() - t0
        fitted[name] = model
    positions, inference_seconds = _rank_together(fitted, codes, k, remove_seen)
    for name, model in fitted.items():
        idx = positions[name]
        m = ranking_metrics_of_positions(idx, model.item_ids, test_users, relevant, k)
        results[name] = {
            "params": dict(model.params),
            "map": round(m["map"], 6),
            "map_at_k": round(m["map_at_k"], 6),
            f"ndcg@{k}": round(m["ndcg"], 6),
            f"precision@{k}": round(m["precision"], 6),
            f"recall@{k}": round(m["recall"], 6),
            "coverage": round(catalog_coverage_of_positions(idx, model.n_items), 6),
            "test_customers": len(test_users),
            "train_seconds": round(train_seconds[name], 4),
            "inference_seconds": round(inference_seconds[name], 4),
        }
    cold_start = None
    if cold:
        # Customers first seen in the test period: every model serves them the most popular
        # products of the training data (the contract's fallback); scored on their own.
        order = np.argsort(-np.asarray(train_inter.seen.sum(axis=0)).ravel(), kind="stable")
        popular = [str(train_inter.items[j]) for j in order[:k]]
        cm = ranking_metrics(dict.fromkeys(cold, popular), cold, k)
        cold_start = {
            "users": len(cold),
            "rows": rows_cold,
            "fallback": "popularity",
            "map_at_k": round(cm["map_at_k"], 6),
            f"ndcg@{k}": round(cm["ndcg"], 6),
            f"precision@{k}": round(cm["precision"], 6),
            f"recall@{k}": round(cm["recall"], 6),
        }
    return {
        "protocol": {
            "split": split,
            "test_ratio": test_ratio,
            "k": k,
            "seed": seed,
            "remove_seen": remove_seen,
            "relevance": "every test interaction"
            + (" with a product the customer had not bought in training" if remove_seen else ""),
        },
        "data": {
            "rows": len(frame),
            "rows_without_user_or_item": dropped,
            "train_rows": len(train),
            "test_rows": len(test),
            "users": train_inter.n_users,
            "items": train_inter.n_items,
            "test_users": len(test_users),
            "test_users_eligible": len(eligible),
            "test_users_in_test_period": len(all_test_users),
            "test_rows_scored": rows_scored,
            "test_rows_of_cold_users": rows_cold,
            "test_rows_bought_in_training": rows_repeat if remove_seen else 0,
            "scored": (
                (
                    f"a sample of {len(test_users)} (seed {seed}) of the {len(eligible)} "
                    "test customers who could be scored; "
                    if len(test_users) < len(eligible)
                    else ""
                )
                + f"{len(eligible)} of {len(all_test_users)} test customers, "
                f"{rows_scored} of {len(test)} test rows; {len(cold)} customers "
                f"({rows_cold} rows) had no training history (scored separately in "
                "cold_start)"
                + (f", {rows_repeat} rows repeat a training purchase" if remove_seen else "")
            ),
        },
        "cold_start": cold_start,
        "results": results,
    }


def _rank_together(
    models: Mapping[str, Recommender], codes: np.ndarray, k: int, exclude_seen: bool
) -> tuple[dict[str, np.ndarray], dict[str, float]]:
    """Every model's top k for the customers ``codes``, block by block (the blocks of
    ``rank_codes``), each model's scores of a block computed once: a hybrid blends its
    members' scores of the block, just computed for the members' own lists. The same lists as
    ranking each model alone (every model scores a block the same way each time); returns the
    item positions and the seconds spent per model."""
    positions = {name: np.full((len(codes), k), -1, dtype=np.int64) for name in models}
    seconds = dict.fromkeys(models, 0.0)
    with _scores_kept_per_block(models.values()):
        for start in range(0, len(codes), BATCH_USERS):
            block = codes[start : start + BATCH_USERS]
            for name, model in models.items():
                t0 = time.perf_counter()
                idx, _ = model.rank_codes(block, k, exclude_seen=exclude_seen)
                positions[name][start : start + len(block)] = idx
                seconds[name] += time.perf_counter() - t0
    return positions, seconds


@contextmanager
def _scores_kept_per_block(models: Iterable[Recommender]) -> Iterator[None]:
    """While active, each model answers ``_scores`` for the block of customers it was last
    asked about without scoring it again (the answer read-only: nobody may change it)."""
    patched: list[tuple[Recommender, Any]] = []
    missing = object()
    for model in {id(m): m for m in models}.values():
        score = model._scores
        last: list[Any] = []

        def kept(user_codes: np.ndarray, score: Any = score, last: list[Any] = last) -> Any:
            key = np.asarray(user_codes).tobytes()
            if last and last[0] == key:
                return last[1]
            out = score(user_codes)
            out.flags.writeable = False
            last[:] = [key, out]
            return out

        patched.append((model, model.__dict__.get("_scores", missing)))
        model.__dict__["_scores"] = kept
    try:
        yield
    finally:
        for model, before in patched:
            if before is missing:
                model.__dict__.pop("_scores", None)
            else:
                model.__dict__["_scores"] = before


def _items_by_user(users: np.ndarray, items: np.ndarray) -> dict[str, set[str]]:
    """{user: the set of their items}, the users in the order they first appear."""
    codes, uniques = pd.factorize(users)
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(len(uniques) + 1))
    grouped = items[order]
    return {str(u): set(grouped[bounds[g] : bounds[g + 1]].tolist()) for g, u in enumerate(uniques)}


def _sample(users: list[str], limit: int | None, seed: int) -> list[str]:
    """``users`` (sorted), or a uniform sample of ``limit`` of them drawn with ``seed``, sorted."""
    if limit is None or len(users) <= limit:
        return users
    if limit < 1:
        raise InvalidInteractions("max_test_users must be at least 1", field="max_test_users")
    pick = np.random.default_rng(seed).choice(len(users), size=limit, replace=False)
    return [users[i] for i in np.sort(pick)]
