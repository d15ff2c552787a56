"""The evaluation's bounds: a seeded sample of test customers, and an evaluation reused while
its inputs are unchanged."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from omniretail.insight.recommend import training
from omniretail.insight.recommend.evaluate import evaluate
from omniretail.insight.recommend.metrics import ranking_metrics
from omniretail.insight.recommend.training import RecsConfig, build_outputs
from tests.insight.recommend.world import ShopWorld

KW = {"user_col": "customer_id", "item_col": "sku", "time_col": "ordered_at", "split": "time"}
TIMING = ("train_seconds", "inference_seconds")


def _scores(report: dict) -> dict:
    return {
        a: {k: v for k, v in r.items() if k not in TIMING} for a, r in report["results"].items()
    }


def test_a_bound_above_the_test_customers_changes_nothing(shop: ShopWorld) -> None:
    full = evaluate(shop.purchases, algorithms=["popularity", "itemknn"], **KW)
    n = full["data"]["test_users"]
    bounded = evaluate(shop.purchases, algorithms=["popularity", "itemknn"], max_test_users=n, **KW)
    assert _scores(bounded) == _scores(full)
    assert bounded["data"] == full["data"]
    assert full["data"]["test_users_eligible"] == n
    assert full["results"]["itemknn"]["test_customers"] == n


def test_a_sample_of_test_customers_is_seeded_and_said(shop: ShopWorld) -> None:
    full = evaluate(shop.purchases, algorithms=["popularity", "itemknn"], **KW)
    eligible = full["data"]["test_users"]
    limit = eligible // 2
    assert limit >= 20
    sampled = evaluate(
        shop.purchases, algorithms=["popularity", "itemknn"], max_test_users=limit, **KW
    )
    assert sampled["data"]["test_users"] == limit
    assert sampled["data"]["test_users_eligible"] == eligible
    assert sampled["data"]["scored"].startswith(f"a sample of {limit} (seed 42) of the {eligible}")
    for result in sampled["results"].values():
        assert result["test_customers"] == limit
    # the same customers whatever the order of the rows
    shuffled = shop.purchases.sample(frac=1.0, random_state=7)
    again = evaluate(shuffled, algorithms=["popularity", "itemknn"], max_test_users=limit, **KW)
    assert _scores(again) == _scores(sampled)
    # another seed, another sample
    other = evaluate(
        shop.purchases, algorithms=["popularity", "itemknn"], max_test_users=limit, seed=1, **KW
    )
    assert _scores(other) != _scores(sampled)
    # a sample of half the customers estimates the full figure
    for algo in ("popularity", "itemknn"):
        assert sampled["results"][algo]["ndcg@10"] == pytest.approx(
            full["results"][algo]["ndcg@10"], rel=0.25
        )


def test_the_sampled_metrics_are_those_of_the_sampled_customers(
    shop: ShopWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The sample's metrics are the metrics of the full evaluation's lists over the sampled
    customers, drawn the documented way (seeded, from the sorted eligible customers)."""
    from omniretail.insight.recommend import evaluate as module

    lists: list[tuple[dict, dict]] = []

    real = module.ranking_metrics_of_positions

    def capture(positions: Any, item_ids: Any, users: list, relevant: dict, k: int) -> dict:
        recs = {
            u: [str(item_ids[j]) for j in row if j >= 0]
            for u, row in zip(users, positions, strict=True)
        }
        lists.append((recs, relevant))
        return real(positions, item_ids, users, relevant, k)

    monkeypatch.setattr(module, "ranking_metrics_of_positions", capture)
    evaluate(shop.purchases, algorithms=["popularity", "itemknn"], **KW)
    (pop_recs, relevant), (knn_recs, _) = lists
    limit = 25
    users = module._sample(sorted(relevant), limit, 42)
    assert len(users) == limit
    assert users == sorted(users)
    assert set(users) <= set(relevant)
    lists.clear()
    report = evaluate(
        shop.purchases, algorithms=["popularity", "itemknn"], max_test_users=limit, **KW
    )
    assert [sorted(r) for r, _ in lists] == [users, users]
    mine = {u: relevant[u] for u in users}
    for algo, recs in (("popularity", pop_recs), ("itemknn", knn_recs)):
        m = ranking_metrics({u: recs[u] for u in users}, mine, 10)
        assert report["results"][algo]["ndcg@10"] == pytest.approx(m["ndcg"], abs=1e-6)
        assert report["results"][algo]["recall@10"] == pytest.approx(m["recall"], abs=1e-6)


def test_an_unchanged_evaluation_is_reused(
    shop: ShopWorld, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "evaluation.json"
    cfg = RecsConfig(evaluate_algorithms=("popularity", "itemknn"), algorithm="itemknn")
    first = build_outputs(
        shop.purchases, products=shop.products, config=cfg, evaluation_cache=cache
    )
    assert cache.exists()
    calls: list[int] = []
    real = training.evaluate

    def counted(*args: object, **kw: object) -> dict:
        calls.append(1)
        return real(*args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(training, "evaluate", counted)
    # the same rows in another order: reused, same report, same metrics, same choice
    shuffled = shop.purchases.sample(frac=1.0, random_state=3)
    again = build_outputs(shuffled, products=shop.products, config=cfg, evaluation_cache=cache)
    assert calls == []
    assert again.evaluation == first.evaluation
    pd.testing.assert_frame_equal(again.metrics, first.metrics)
    assert again.selection == first.selection
    # one purchase fewer, other products, other settings: evaluated again
    build_outputs(
        shop.purchases.iloc[1:], products=shop.products, config=cfg, evaluation_cache=cache
    )
    assert calls == [1]
    products = shop.products.copy()
    products.loc[products.index[0], "name"] = "renamed"
    build_outputs(shop.purchases.iloc[1:], products=products, config=cfg, evaluation_cache=cache)
    assert calls == [1, 1]
    other = RecsConfig(evaluate_algorithms=("popularity",), algorithm="itemknn")
    build_outputs(shop.purchases.iloc[1:], products=products, config=other, evaluation_cache=cache)
    assert calls == [1, 1, 1]
    # without a cache file: always evaluated
    build_outputs(shop.purchases.iloc[1:], products=products, config=other)
    assert calls == [1, 1, 1, 1]


def test_a_damaged_cache_is_evaluated_again(shop: ShopWorld, tmp_path: Path) -> None:
    cache = tmp_path / "evaluation.json"
    cache.write_text("{not json", encoding="utf-8")
    cfg = RecsConfig(evaluate_algorithms=("popularity",), algorithm="popularity")
    out = build_outputs(shop.purchases, products=shop.products, config=cfg, evaluation_cache=cache)
    assert out.evaluation is not None
    assert "results" in out.evaluation
    assert '"fingerprint"' in cache.read_text(encoding="utf-8")
