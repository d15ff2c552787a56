"""Evaluating coupon targeting on the demo world, whose true offer effects are known.

The retailer's view: purchase history from the POS, app and mini-program exports, linked to
persons through the world's identity truth (i.e. assuming identity resolution is perfect), turned
into per-customer features — orders, spend, days since the last order, tenure, share of orders
with a coupon, share of the amount discounted, channels used, orders and spend in the last 180
days, and coupon affinity: coupons used relative to what the average customer uses on the same
channel and day (promotion days and channels differ a lot), shrunk towards 1 for customers with
few orders. The truth (``demo.truth``) is only
used to draw campaign responses (``simulate_response``) and to score targeting exactly
(``true_effect``), never as a feature.

Protocol: persons are split in half. Half 1 gets a randomized campaign (50 % treated) whose
responses train the uplift learners (outcome: spend in the 30-day window) and a purchase-
propensity classifier (P(buy) regardless of treatment — what a marketer targets without an
uplift model). On half 2 each policy picks the ``budget`` share of customers with the highest
score; its incremental revenue is the exact expected Σ (spend treated − spend control) of those
customers. Random targeting and the oracle (true effect) bracket the result.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

from omniretail.insight.uplift.learners import create
from omniretail.insight.uplift.metrics import auuc, curve_points, qini_coefficient, qini_curve
from omniretail.platform.errors import InvalidInput

FEATURES = (
    "orders",
    "spend",
    "avg_order_value",
    "days_since_last",
    "tenure_days",
    "coupon_share",
    "discount_share",
    "channels",
    "orders_180d",
    "spend_180d",
    "coupon_affinity",
)
# policy name -> (learner, parameters); ``base`` of evaluate_demo_world fills a missing base
LEARNER_SETTINGS: dict[str, tuple[str, dict[str, Any]]] = {
    "t_learner": ("t_learner", {}),
    "x_learner": ("x_learner", {}),
    # cross-fitted, log-link outcome models, smoother trees, the campaign's known 50 % split
    "x_learner_cf": (
        "x_learner",
        {"base": "gbm_smooth", "folds": 5, "outcome_loss": "poisson", "propensity": 0.5},
    ),
    "lift_learner": ("lift_learner", {}),
}
RECENT_DAYS = 180
AFFINITY_PRIOR = 2.0  # pseudo-orders at the average coupon use


def _linked(truth: pd.DataFrame, source: str, ids: pd.Series) -> pd.Series:
    m = truth[truth["source"] == source].set_index("source_record_id")["person_id"]
    return ids.astype(str).map(m)


def purchase_history(world: Path) -> pd.DataFrame:
    """One row per paid line: person_id, order_id, sku, name, ordered_at, amount, discount,
    coupon (bool), channel — from the POS, app and mini-program exports."""
    exports = world / "exports"
    truth = pd.read_parquet(world / "truth" / "identity_truth.parquet")
    frames = []
    pos_path = exports / "pos" / "sales.csv"
    if pos_path.exists():
        pos = pd.read_csv(pos_path, dtype={"会员卡号": str, "商品编码": str, "优惠券号": str})
        pos = pos[(pos["单据状态"] == "正常") & pos["会员卡号"].notna()]
        frames.append(
            pd.DataFrame(
                {
                    "person_id": _linked(truth, "pos", pos["会员卡号"]),
                    "order_id": "pos:" + pos["小票号"].astype(str),
                    "sku": pos["商品编码"],
                    "name": pos["商品名称"],
                    "ordered_at": pd.to_datetime(pos["销售时间"]),
                    "amount": pos["实收金额"].astype(float),
                    "discount": pos["折扣金额"].astype(float),
                    "coupon": pos["优惠券号"].notna(),
                    "channel": "pos",
                }
            )
        )
    app_path = exports / "app" / "orders.parquet"
    if app_path.exists():
        app = pd.read_parquet(app_path)
        app = app[app["status"] == "paid"]
        frames.append(
            pd.DataFrame(
                {
                    "person_id": _linked(truth, "app", app["member_id"]),
                    "order_id": "app:" + app["order_id"].astype(str),
                    "sku": app["sku"].astype(str),
                    "name": app["sku_name"],
                    "ordered_at": pd.to_datetime(app["created_at"]),
                    "amount": app["amount"].astype(float),
                    "discount": app["discount"].astype(float),
                    "coupon": app["coupon_code"].notna(),
                    "channel": "app",
                }
            )
        )
    mp_path = exports / "miniprogram" / "orders.jsonl"
    if mp_path.exists():
        mp = pd.read_json(mp_path, lines=True, dtype={"openid": str})
        mp = mp[mp["status"] == "PAID"].explode("items").dropna(subset=["items"])
        items = pd.json_normalize(mp["items"].tolist())
        frames.append(
            pd.DataFrame(
                {
                    "person_id": _linked(truth, "miniprogram", mp["openid"]).to_numpy(),
                    "order_id": ("mp:" + mp["orderNo"].astype(str)).to_numpy(),
                    "sku": items["skuCode"].astype(str).to_numpy(),
                    "name": items["skuName"].to_numpy(),
                    "ordered_at": pd.to_datetime(mp["createTime"]).to_numpy(),
                    "amount": (
                        (items["price"] * items["qty"] - items["discount"]) / 100
                    ).to_numpy(),
                    "discount": (items["discount"] / 100).to_numpy(),
                    "coupon": mp["couponId"].notna().to_numpy(),
                    "channel": "miniprogram",
                }
            )
        )
    if not frames:
        raise InvalidInput(f"no POS, app or mini-program exports under {world}", field="world")
    history = pd.concat(frames, ignore_index=True)
    return history[history["person_id"].notna()].reset_index(drop=True)


def customer_features(history: pd.DataFrame, person_ids: pd.Series) -> pd.DataFrame:
    """Per-person features as the CDP computes them (zeros for persons never seen)."""
    end = history["ordered_at"].max()
    orders = (
        history.groupby(["person_id", "order_id"])
        .agg(
            amount=("amount", "sum"),
            discount=("discount", "sum"),
            coupon=("coupon", "max"),
            at=("ordered_at", "min"),
            channel=("channel", "first"),
        )
        .reset_index()
    )
    # what an average customer's order on the same channel and day uses in coupons
    day = orders["at"].dt.normalize()
    orders["usual_coupon"] = orders.groupby([orders["channel"], day])["coupon"].transform("mean")
    orders["recent"] = orders["at"] > end - pd.Timedelta(days=RECENT_DAYS)
    orders["recent_amount"] = orders["amount"].where(orders["recent"], 0.0)
    g = orders.groupby("person_id")
    feats = pd.DataFrame(
        {
            "orders": g.size(),
            "spend": g["amount"].sum(),
            "days_since_last": (end - g["at"].max()).dt.days,
            "tenure_days": (end - g["at"].min()).dt.days,
            "coupon_share": g["coupon"].mean(),
            "discount_share": g["discount"].sum() / (g["amount"].sum() + g["discount"].sum()),
            "channels": g["channel"].nunique(),
            "orders_180d": g["recent"].sum(),
            "spend_180d": g["recent_amount"].sum(),
            "coupon_affinity": (g["coupon"].sum() + AFFINITY_PRIOR)
            / (g["usual_coupon"].sum() + AFFINITY_PRIOR),
        }
    )
    feats["avg_order_value"] = feats["spend"] / feats["orders"]
    out = feats.reindex(person_ids.astype(str).to_numpy())
    out = out.fillna({"days_since_last": 730.0, "tenure_days": 0.0, "coupon_affinity": 1.0})
    out = out.fillna(0.0)
    out.index.name = "person_id"
    return out[list(FEATURES)].astype(float)


def evaluate_demo_world(
    world: Path,
    *,
    budget: float = 0.2,
    offer_value: float = 10.0,
    window_days: int = 30,
    learners: tuple[str, ...] = tuple(LEARNER_SETTINGS),
    base: str = "gbm",
    seed: int = 42,
    features: pd.DataFrame | None = None,
) -> dict[str, Any]:
    """Targeting by uplift vs by purchase propensity under a coupon budget (JSON-ready).

    ``features`` (indexed by person_id, columns ``FEATURES``) skips re-reading the exports."""
    from omniretail.demo import truth as demo_truth

    if not 0 < budget < 1:
        raise InvalidInput("the budget is a share of customers between 0 and 1", field="budget")
    response = pd.read_parquet(world / "truth" / "offer_response.parquet")
    ids = response["person_id"].astype(str)
    if features is None:
        features = customer_features(purchase_history(world), ids)
    x_all = features.reindex(ids.to_numpy())[list(FEATURES)].to_numpy(float)
    rng = np.random.default_rng(seed)
    first = rng.random(len(ids)) < 0.5
    train_ids, target_ids = ids[first].to_numpy(), ids[~first].to_numpy()
    x_train, x_target = x_all[first], x_all[~first]

    treated = rng.random(len(train_ids)) < 0.5
    campaign = demo_truth.simulate_response(
        world, train_ids, treated, offer_value=offer_value, window_days=window_days, rng=rng
    ).to_pandas()
    spend = campaign["spend"].to_numpy(float)
    bought = campaign["purchased"].to_numpy(bool)

    scores: dict[str, np.ndarray] = {}
    for name in learners:
        if name not in LEARNER_SETTINGS:
            raise InvalidInput(
                f"unknown learner {name!r}; choose from {', '.join(LEARNER_SETTINGS)}",
                field="learners",
            )
        kind, params = LEARNER_SETTINGS[name]
        model = create(kind, **{"base": base, **params, "seed": seed})
        scores[name] = model.fit(x_train, treated, spend).predict_uplift(x_target)
    propensity = HistGradientBoostingClassifier(max_iter=200, learning_rate=0.05, random_state=seed)
    with threadpool_limits(1):
        propensity.fit(x_train, bought)
        scores["purchase_propensity"] = propensity.predict_proba(x_target)[:, 1]

    effect = demo_truth.true_effect(
        world, target_ids, offer_value=offer_value, window_days=window_days
    ).to_pandas()
    tau_spend = effect["uplift_spend"].to_numpy(float)
    tau_buy = effect["uplift_probability"].to_numpy(float)
    scores["oracle"] = tau_spend
    n_target = int(round(budget * len(target_ids)))

    # a second randomized campaign on half 2 for the observed Qini curves
    treated2 = rng.random(len(target_ids)) < 0.5
    observed = demo_truth.simulate_response(
        world, target_ids, treated2, offer_value=offer_value, window_days=window_days, rng=rng
    ).to_pandas()
    y2 = observed["spend"].to_numpy(float)

    policies: dict[str, Any] = {}
    for name, score in scores.items():
        top = np.argsort(-score, kind="stable")[:n_target]
        policies[name] = {
            "incremental_revenue": round(float(tau_spend[top].sum()), 2),
            "incremental_buyers": round(float(tau_buy[top].sum()), 2),
            "sleeping_dogs_targeted": int((tau_spend[top] < 0).sum()),
            "qini_true": round(qini_coefficient(None, treated2, score, true_effect=tau_spend), 4),
            "qini_observed": round(qini_coefficient(y2, treated2, score), 4),
            "auuc_observed": round(auuc(y2, treated2, score), 4),
            "qini_curve": curve_points(qini_curve(y2, treated2, score)),
        }
    policies["random"] = {
        "incremental_revenue": round(float(tau_spend.mean() * n_target), 2),
        "incremental_buyers": round(float(tau_buy.mean() * n_target), 2),
    }
    # how much room the truth leaves over propensity (diagnostics: they read the truth)
    p_control = effect["p_control"].to_numpy(float)
    ceiling = HistGradientBoostingRegressor(max_iter=300, learning_rate=0.05, random_state=seed)
    with threadpool_limits(1):
        tau_train = demo_truth.true_effect(
            world, train_ids, offer_value=offer_value, window_days=window_days
        ).to_pandas()["uplift_spend"]
        ceiling.fit(x_train, tau_train.to_numpy(float))
        fitted_on_truth = ceiling.predict(x_target)

    def revenue(score: np.ndarray) -> float:
        return round(float(tau_spend[np.argsort(-score, kind="stable")[:n_target]].sum()), 2)

    limits = {
        "spearman_true_uplift_vs_true_purchase_probability": round(
            float(pd.Series(tau_spend).corr(pd.Series(p_control), method="spearman")), 4
        ),
        "spearman_true_uplift_vs_propensity_score": round(
            float(
                pd.Series(tau_spend).corr(
                    pd.Series(scores["purchase_propensity"]), method="spearman"
                )
            ),
            4,
        ),
        "revenue_ranking_by_true_purchase_probability": revenue(p_control),
        "revenue_ranking_by_true_uplift_fitted_on_features": revenue(fitted_on_truth),
    }
    best_uplift = max(learners, key=lambda n: policies[n]["incremental_revenue"])
    prop = policies["purchase_propensity"]["incremental_revenue"]
    return {
        "world": {"persons": len(ids), "train": len(train_ids), "target": len(target_ids)},
        "campaign": {
            "offer_value": offer_value,
            "window_days": window_days,
            "budget": budget,
            "coupons": n_target,
            "base_learner": base,
        },
        "policies": policies,
        "limits": limits,
        "best_uplift_learner": best_uplift,
        "uplift_vs_propensity_revenue_ratio": (
            round(policies[best_uplift]["incremental_revenue"] / prop, 3) if prop > 0 else None
        ),
    }
