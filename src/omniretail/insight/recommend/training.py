"""Batch training and scoring for serving (批量生成推荐结果).

:func:`build_outputs` fits the serving recommender on all purchases and produces the tables the
pipeline publishes: top-N products per customer (with business rules applied), the customers
most likely to buy each product (catalogue-only and new SKUs included, through the content
model) and, optionally, an offline evaluation of each algorithm on a time split for the console.

The evaluation ranks at most ``max_evaluation_customers`` test customers (a seeded sample above
that: the metrics say on how many) and, given an ``evaluation_cache`` file, is not run again when
the purchases, the products, the settings and the recommender's code are those of the
evaluation kept there: the same inputs give the same report, which is read back instead.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from omniretail.insight.recommend.base import (
    BATCH_USERS,
    Recommender,
    available,
    create,
    sorted_positions,
)
from omniretail.insight.recommend.evaluate import evaluate
from omniretail.insight.recommend.filters import BusinessRules
from omniretail.insight.recommend.interactions import Interactions

log = logging.getLogger(__name__)
POPULAR_KEY = "*"


@dataclass
class RecsConfig:
    """Knobs of the ``recommendations`` pipeline step."""

    algorithm: str = "hybrid"
    params: dict[str, Any] = field(default_factory=dict)
    top_n: int = 20
    likely_customers: int = 100
    recent_days: float = 90.0
    excluded_categories: Sequence[str] = ()
    evaluate: bool = True
    evaluate_algorithms: Sequence[str] = (
        "popularity",
        "itemknn",
        "als",
        "ease",
        "content",
        "hybrid",
    )
    max_evaluation_rows: int = 2_000_000
    max_evaluation_customers: int | None = 20_000  # test customers ranked (a seeded sample)
    serve_winner: bool = True  # serve the evaluation's best nDCG@10 instead of ``algorithm``
    min_test_customers: int = 20  # fewer scored test customers: keep ``algorithm``


@dataclass
class RecsOutputs:
    model: Recommender
    customer_recommendations: pd.DataFrame
    likely_customers: pd.DataFrame
    metrics: pd.DataFrame
    evaluation: dict[str, Any] | None
    selection: dict[str, Any] = field(default_factory=dict)


class TopUsersPerItem:
    """A running top-n of customers per product over blocks of the users × items scores, fed
    in customer order (``add``), the products' owners left out; ``frame()`` is the result.

    The running values are kept one row per product (products × n): each block is merged by
    a partition along the rows, contiguous in memory, instead of down the columns of a
    customers × products matrix. The partition sees every product's candidates in the same
    order as down a column (the kept ones, then the block's customers), so it keeps the same
    customers, equal scores included."""

    def __init__(self, model: Recommender, n: int, *, exclude_owners: bool = True) -> None:
        self.model = model
        self.n = min(n, model.interactions.n_users)
        self.exclude_owners = exclude_owners
        self.best_val = np.full((model.n_items, self.n), -np.inf, dtype=np.float32)
        self.best_idx = np.full((model.n_items, self.n), -1, dtype=np.int64)

    def add(self, codes: np.ndarray, block: np.ndarray) -> None:
        """Scores of the known customers ``codes`` (one row each); ``block`` is not changed."""
        n = self.n
        if n == 0:
            return
        vals = np.hstack([self.best_val, block.T])
        if self.exclude_owners:
            seen = self.model._seen[codes].tocoo()
            vals[seen.col, n + seen.row] = -np.inf
        idx = np.hstack(
            [self.best_idx, np.broadcast_to(codes[None, :], (block.shape[1], len(codes)))]
        )
        keep = np.argpartition(-vals, n - 1, axis=1)[:, :n]
        self.best_val = np.take_along_axis(vals, keep, axis=1)
        self.best_idx = np.take_along_axis(idx, keep, axis=1)

    def frame(self) -> pd.DataFrame:
        model = self.model
        # equal scores: the lower customer id
        best_val, best_idx = self.best_val.T, self.best_idx.T
        order = np.lexsort((best_idx, -best_val), axis=0)
        best_val = np.take_along_axis(best_val, order, axis=0)
        best_idx = np.take_along_axis(best_idx, order, axis=0)
        rank, item = np.nonzero(np.isfinite(best_val) & (best_idx >= 0))
        # by sku, then rank: the products are ordered once, not the rows
        skus = model.item_ids.astype(str)
        order = np.lexsort((rank, sorted_positions(skus)[item]))
        rank, item = rank[order], item[order]
        return pd.DataFrame(
            {
                "sku": skus[item],
                "rank": (rank + 1).astype(np.int64),
                "customer_id": model.interactions.users[best_idx[rank, item]].astype(str),
                "score": best_val[rank, item].astype(np.float64),
            }
        )


def top_users_per_item(model: Recommender, n: int, *, exclude_owners: bool = True) -> pd.DataFrame:
    """For every product the model knows, the n customers with the highest scores.

    Streams the users × items score matrix in blocks, keeping a running top-n per column.
    """
    top = TopUsersPerItem(model, n, exclude_owners=exclude_owners)
    n_users = model.interactions.n_users
    for start in range(0, n_users, BATCH_USERS):
        codes = np.arange(start, min(start + BATCH_USERS, n_users))
        top.add(codes, model._scores(codes))
    return top.frame()


def build_outputs(
    purchases: pd.DataFrame,
    *,
    products: pd.DataFrame | None = None,
    preferred_store: Mapping[str, str] | None = None,
    assortment: pd.DataFrame | None = None,
    config: RecsConfig | None = None,
    progress: Callable[[str], None] = lambda _m: None,
    evaluation_cache: Path | None = None,
) -> RecsOutputs:
    """``purchases``: one row per paid line with ``customer_id, sku, ordered_at``;
    ``evaluation_cache``: where the last evaluation is kept with the fingerprint of its inputs."""
    cfg = config or RecsConfig()
    interactions = Interactions.from_frame(
        purchases, user_col="customer_id", item_col="sku", time_col="ordered_at"
    )
    evaluation, metrics = _evaluation(
        purchases, products, interactions, cfg, progress, cache=evaluation_cache
    )
    selection = choose_algorithm(evaluation, cfg)
    algorithm = selection["algorithm"]
    params = cfg.params if algorithm == cfg.algorithm else {}
    progress(f"fitting {algorithm} on {len(interactions)} purchases ({selection['reason']})")
    model = create(algorithm, **params).fit(interactions, products)
    rules = BusinessRules.build(
        products=products,
        history=interactions,
        excluded_categories=cfg.excluded_categories,
        assortment=assortment,
        preferred_store=preferred_store,
        recent_days=cfg.recent_days,
    )
    progress("ranking products for every customer and customers for every product")
    users = [*interactions.users.tolist(), POPULAR_KEY]  # "*": the list for new customers
    # one pass over the customers' scores serves both lists (the customers in model order, in
    # the same blocks as top_users_per_item: the same scores, so the same likely customers)
    likely_top = TopUsersPerItem(model, cfg.likely_customers)
    recs = model.recommend(
        users,
        cfg.top_n,
        exclude_seen=False,
        candidates=rules,
        on_scores=likely_top.add,
        by_user_id=True,
    )
    recs = recs.rename(columns={"user_id": "customer_id", "item_id": "sku"})
    recs["algorithm"] = algorithm
    likely = likely_top.frame()
    if not metrics.empty:
        served = pd.DataFrame(
            [
                {"algorithm": a, "metric": "served", "value": float(a == algorithm)}
                for a in metrics["algorithm"].unique()
            ]
        )
        metrics = pd.concat([metrics, served], ignore_index=True)
    return RecsOutputs(model, recs, likely, metrics, evaluation, selection)


def _evaluation(
    purchases: pd.DataFrame,
    products: pd.DataFrame | None,
    interactions: Interactions,
    cfg: RecsConfig,
    progress: Callable[[str], None],
    *,
    cache: Path | None = None,
) -> tuple[dict[str, Any] | None, pd.DataFrame]:
    evaluation = None
    metrics = pd.DataFrame(columns=["algorithm", "metric", "value"])
    if not cfg.evaluate or len(purchases) > cfg.max_evaluation_rows:
        return evaluation, metrics
    from omniretail.insight.recommend.ease import MAX_ITEMS

    algorithms = [
        a
        for a in cfg.evaluate_algorithms
        if a in available() and (a != "ease" or interactions.n_items <= MAX_ITEMS)
    ]
    key = _fingerprint(purchases, products, cfg, algorithms) if cache is not None else ""
    evaluation = _cached_evaluation(cache, key)
    if evaluation is not None:
        progress("evaluation reused: same purchases, products, settings and code as the last one")
    else:
        evaluation = _run_evaluation(purchases, products, cfg, algorithms, progress)
        if cache is not None and "results" in evaluation:
            _keep_evaluation(cache, key, evaluation)
    if evaluation and "results" in evaluation:
        metrics = pd.DataFrame(
            [
                {"algorithm": algo, "metric": name, "value": float(value)}
                for algo, values in evaluation["results"].items()
                for name, value in values.items()
                if isinstance(value, int | float) and not isinstance(value, bool)
            ]
        )
    return evaluation, metrics


def _run_evaluation(
    purchases: pd.DataFrame,
    products: pd.DataFrame | None,
    cfg: RecsConfig,
    algorithms: list[str],
    progress: Callable[[str], None],
) -> dict[str, Any]:
    progress("evaluating algorithms on a time split")
    try:
        return evaluate(
            purchases,
            user_col="customer_id",
            item_col="sku",
            time_col="ordered_at",
            split="time",
            test_ratio=0.2,
            k=10,
            algorithms=algorithms,
            items=products,
            params={cfg.algorithm: cfg.params}
            if cfg.params and cfg.algorithm in algorithms
            else None,
            max_test_users=cfg.max_evaluation_customers,
        )
    except Exception as exc:  # the serving tables matter more than the report
        log.warning("recommendation evaluation skipped: %s", exc)
        return {"error": str(exc)}


def _frame_digest(frame: pd.DataFrame) -> str:
    """Order-independent digest of a frame's rows (columns by name): the sum and the sum of
    squares, modulo 2**64, of the rows' hashes, and the count."""
    cols = sorted(frame.columns, key=str)
    rows = pd.util.hash_pandas_object(frame[cols], index=False).to_numpy(dtype=np.uint64)
    return f"{len(rows)}:{int(rows.sum())}:{int((rows * rows).sum())}:{','.join(map(str, cols))}"


def _fingerprint(
    purchases: pd.DataFrame,
    products: pd.DataFrame | None,
    cfg: RecsConfig,
    algorithms: list[str],
) -> str:
    """What the evaluation's report depends on: the purchases, the products, the settings and
    the source of this package (an edited algorithm is evaluated again)."""
    h = hashlib.sha256()
    h.update(_frame_digest(purchases).encode())
    h.update(b"-" if products is None else _frame_digest(products.astype(str)).encode())
    settings = {
        "algorithms": algorithms,
        "algorithm": cfg.algorithm,
        "params": cfg.params,
        "max_customers": cfg.max_evaluation_customers,
    }
    h.update(json.dumps(settings, sort_keys=True, default=str).encode())
    for source in sorted(Path(__file__).parent.glob("*.py")):
        h.update(source.name.encode())
        h.update(source.read_bytes())
    return h.hexdigest()


def _cached_evaluation(cache: Path | None, key: str) -> dict[str, Any] | None:
    if cache is None or not cache.exists():
        return None
    try:
        kept = json.loads(cache.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(kept, dict) or kept.get("fingerprint") != key:
        return None
    evaluation = kept.get("evaluation")
    return evaluation if isinstance(evaluation, dict) and "results" in evaluation else None


def _keep_evaluation(cache: Path, key: str, evaluation: dict[str, Any]) -> None:
    cache.parent.mkdir(parents=True, exist_ok=True)
    tmp = cache.with_suffix(".tmp")
    tmp.write_text(json.dumps({"fingerprint": key, "evaluation": evaluation}), encoding="utf-8")
    os.replace(tmp, cache)


def choose_algorithm(evaluation: dict[str, Any] | None, cfg: RecsConfig) -> dict[str, Any]:
    """The algorithm to serve: the best nDCG@10 of the time-split evaluation just run (ties: the
    configured algorithm, then the order of ``evaluate_algorithms``), else ``cfg.algorithm``."""
    default = {"algorithm": cfg.algorithm, "metric": "ndcg@10", "value": None}
    if not cfg.serve_winner:
        return {**default, "reason": "configured (serve_winner off)"}
    if not evaluation or "results" not in evaluation or not evaluation["results"]:
        return {**default, "reason": "configured (no evaluation)"}
    scored = int(evaluation["data"]["test_users"])
    if scored < cfg.min_test_customers:
        return {
            **default,
            "reason": f"configured (only {scored} test customers scored, "
            f"fewer than {cfg.min_test_customers})",
        }
    results = evaluation["results"]
    order = [cfg.algorithm, *cfg.evaluate_algorithms]
    best = max(
        results,
        key=lambda a: (results[a]["ndcg@10"], -order.index(a) if a in order else -len(order)),
    )
    return {
        "algorithm": best,
        "metric": "ndcg@10",
        "value": float(results[best]["ndcg@10"]),
        "reason": f"best nDCG@10 of the time-split evaluation ({results[best]['ndcg@10']:.4f}, "
        f"{scored} test customers)",
        "ranking": {
            a: results[a]["ndcg@10"] for a in sorted(results, key=lambda a: -results[a]["ndcg@10"])
        },
    }
