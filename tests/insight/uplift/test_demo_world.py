"""Coupon targeting on the demo world's known offer effects (small world, scale 0.01)."""

from __future__ import annotations

from pathlib import Path

import pytest

from omniretail.demo.uplift_eval import customer_features, purchase_history


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    demo = pytest.importorskip("omniretail.demo")
    out = tmp_path_factory.mktemp("world") / "w"
    demo.generate_world(out, scale=0.01, seed=42)
    return out


def test_features_come_from_the_exports(world: Path) -> None:
    history = purchase_history(world)
    assert set(history["channel"]) == {"pos", "app", "miniprogram"}
    assert history["person_id"].str.startswith("P").all()
    ids = history["person_id"].drop_duplicates().head(50)
    feats = customer_features(history, ids)
    assert (feats["orders"] >= 1).all()
    assert feats["coupon_share"].between(0, 1).all()


def test_targeting_report_against_the_truth(world: Path) -> None:
    from omniretail.demo.uplift_eval import evaluate_demo_world

    report = evaluate_demo_world(world, budget=0.2)
    policies = report["policies"]
    oracle = policies["oracle"]["incremental_revenue"]
    for name in ("t_learner", "x_learner", "purchase_propensity"):
        assert policies[name]["incremental_revenue"] <= oracle
        assert policies[name]["incremental_revenue"] > policies["random"]["incremental_revenue"]
    assert policies["oracle"]["sleeping_dogs_targeted"] == 0
    for name in ("x_learner_cf", "lift_learner"):
        assert policies[name]["incremental_revenue"] <= oracle
    limits = report["limits"]
    assert limits["revenue_ranking_by_true_uplift_fitted_on_features"] <= oracle
    assert limits["revenue_ranking_by_true_purchase_probability"] <= oracle
    # in the demo world's response model the effect scales with the purchase rate
    assert limits["spearman_true_uplift_vs_true_purchase_probability"] > 0.5
    assert report["campaign"]["coupons"] == round(0.2 * report["world"]["target"])
