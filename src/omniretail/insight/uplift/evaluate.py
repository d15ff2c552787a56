"""Evaluating uplift learners on a campaign file with a holdout (control) group, and on the
Nie & Wager synthetic setups."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from omniretail.insight.uplift.errors import InvalidCampaignData
from omniretail.insight.uplift.learners import base_learner, create
from omniretail.insight.uplift.metrics import (
    auuc,
    curve_points,
    qini_area,
    qini_coefficient,
    qini_curve,
)
from omniretail.insight.uplift.synthetic import nie_wager

TRUE_VALUES = {"1", "true", "yes", "y", "t", "treated", "treatment"}


def _treatment(values: pd.Series, column: str) -> np.ndarray:
    if pd.api.types.is_bool_dtype(values) or pd.api.types.is_numeric_dtype(values):
        out = pd.to_numeric(values, errors="coerce")
        if out.isna().any() or not out.isin([0, 1]).all():
            raise InvalidCampaignData(
                f"column {column!r} must be 0/1 or true/false (treated or holdout)", field=column
            )
        return out.to_numpy().astype(bool)
    text = values.astype(str).str.strip().str.lower()
    return text.isin(TRUE_VALUES).to_numpy()


def _split(n: int, w: np.ndarray, test_ratio: float, seed: int) -> np.ndarray:
    """A test mask stratified by treatment."""
    rng = np.random.default_rng(seed)
    test = np.zeros(n, dtype=bool)
    for arm in (True, False):
        idx = np.flatnonzero(w == arm)
        rng.shuffle(idx)
        test[idx[: int(round(len(idx) * test_ratio))]] = True
    return test


def _scores(
    name: str, score: np.ndarray, y: np.ndarray, w: np.ndarray, tau: np.ndarray | None
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "qini": round(qini_coefficient(y, w, score), 4),
        "auuc": round(auuc(y, w, score), 4),
        "qini_curve": curve_points(qini_curve(y, w, score)),
    }
    if tau is not None:
        out["qini_true"] = round(qini_coefficient(None, w, score, true_effect=tau), 4)
        out["mse_tau"] = round(float(np.mean((score - tau) ** 2)), 4)
    return out


OUTCOME_LIKE = re.compile(
    r"(spend|revenue|sales|amount|conver|visit|purchas|bought|buy|order|redeem|redemption|click|"
    r"open|respon|outcome|result|after|post_|_post|future|next_|target|label|churn)",
    re.IGNORECASE,
)


def outcome_like(column: str) -> bool:
    """A column whose name says it may be measured after the treatment (spend, visit,
    conversion, orders, redemption...): as a feature it leaks the outcome."""
    return bool(OUTCOME_LIKE.search(column))


def _summary(values: list[float]) -> dict[str, Any]:
    arr = np.asarray(values, dtype=float)
    return {
        "mean": round(float(arr.mean()), 4),
        "std": round(float(arr.std(ddof=1)), 4) if len(arr) > 1 else 0.0,
        "min": round(float(arr.min()), 4),
        "max": round(float(arr.max()), 4),
        "splits": [round(float(v), 4) for v in arr],
    }


def evaluate_campaign(
    frame: pd.DataFrame,
    *,
    treatment_col: str,
    outcome_col: str,
    feature_cols: Sequence[str] | None = None,
    learners: Sequence[str] = ("t_learner", "x_learner"),
    base: str = "gbm",
    test_ratio: float = 0.3,
    seed: int = 42,
    repeats: int = 5,
    allow_outcome_like: bool = False,
) -> dict[str, Any]:
    """Fit each learner on a training part of a campaign and report Qini/AUUC on the rest, over
    ``repeats`` treatment-stratified random splits (mean, spread and every split), beside two
    baselines scored on the same splits: random targeting and a **response model** (the
    outcome predicted for a treated customer, i.e. targeting the likeliest buyers — what a
    propensity model does). Without ``feature_cols``, numeric columns whose names look like
    outcomes (spend, visit, conversion, orders...) are left out and listed; given explicitly
    they are refused unless ``allow_outcome_like``."""
    for col in (treatment_col, outcome_col, *(feature_cols or [])):
        if col not in frame.columns:
            raise InvalidCampaignData(
                f"column {col!r} is not in the campaign data (columns: {list(frame.columns)})",
                field=col,
            )
    if not 0 < test_ratio < 1:
        raise InvalidCampaignData("--test-ratio must be between 0 and 1", field="test_ratio")
    if repeats < 1:
        raise InvalidCampaignData("--repeats must be at least 1", field="repeats")
    warnings: list[str] = []
    excluded: list[str] = []
    if feature_cols:
        features = list(feature_cols)
        suspicious = [c for c in features if outcome_like(c)]
        if suspicious and not allow_outcome_like:
            raise InvalidCampaignData(
                f"feature column(s) {', '.join(suspicious)} look like outcomes measured after "
                "the treatment (post-treatment leakage); drop them, or pass "
                "--allow-outcome-like if they were measured before the campaign",
                field=suspicious[0],
            )
        if suspicious:
            warnings.append(
                f"using outcome-like feature column(s) {', '.join(suspicious)} as asked: they "
                "must have been measured before the campaign"
            )
    else:
        numeric = [
            c
            for c in frame.columns
            if c not in (treatment_col, outcome_col) and pd.api.types.is_numeric_dtype(frame[c])
        ]
        excluded = [c for c in numeric if outcome_like(c)]
        features = [c for c in numeric if c not in excluded]
        if excluded:
            warnings.append(
                f"left out column(s) {', '.join(excluded)}: their names look like outcomes "
                "(post-treatment leakage); name them with -f and --allow-outcome-like if they "
                "were measured before the campaign"
            )
    if not features:
        raise InvalidCampaignData("no numeric feature columns to learn from", field="features")
    x = frame[features].apply(pd.to_numeric, errors="coerce").fillna(0.0).to_numpy(float)
    y = pd.to_numeric(frame[outcome_col], errors="coerce")
    if y.isna().any():
        raise InvalidCampaignData(f"column {outcome_col!r} has non-numbers", field=outcome_col)
    yv = y.to_numpy(float)
    w = _treatment(frame[treatment_col], treatment_col)
    names = [*learners, "response_model", "random"]
    qini: dict[str, list[float]] = {n: [] for n in names}
    area: dict[str, list[float]] = {n: [] for n in names}
    gain: dict[str, list[float]] = {n: [] for n in names}
    curves: dict[str, Any] = {}
    ate: list[float] = []
    for k in range(repeats):
        split_seed = seed + k
        test = _split(len(frame), w, test_ratio, split_seed)
        scores: dict[str, np.ndarray] = {}
        for name in learners:
            model = create(name, base=base, seed=split_seed).fit(x[~test], w[~test], yv[~test])
            scores[name] = model.predict_uplift(x[test])
        response = base_learner(base, split_seed).fit(x[~test & w], yv[~test & w])
        scores["response_model"] = np.asarray(response.predict(x[test]), dtype=float)
        scores["random"] = np.random.default_rng(split_seed).random(int(test.sum()))
        for name, score in scores.items():
            qini[name].append(qini_coefficient(yv[test], w[test], score))
            area[name].append(auuc(yv[test], w[test], score))
            gain[name].append(qini_area(yv[test], w[test], score))
            if k == 0:
                curves[name] = curve_points(qini_curve(yv[test], w[test], score))
        ate.append(float(yv[test & w].mean() - yv[test & ~w].mean()))
    results: dict[str, Any] = {}
    for name in names:
        q, a, g = _summary(qini[name]), _summary(area[name]), _summary(gain[name])
        results[name] = {
            "qini": q["mean"],
            "qini_std": q["std"],
            "qini_min": q["min"],
            "qini_max": q["max"],
            "qini_splits": q["splits"],
            "auuc": a["mean"],
            "auuc_std": a["std"],
            "qini_area": g["mean"],
            "qini_area_std": g["std"],
            "qini_curve": curves[name],
        }
    best = max(learners, key=lambda n: results[n]["qini_area"]) if learners else None
    verdict = None
    null: dict[str, Any] | None = None
    if best is not None:
        # The splits share customers and one realised randomisation, so their spread understates
        # the noise. The null: the same learner fitted with the treatment labels shuffled (no
        # effect can exist), on the same splits — its Qini is what noise alone produces.
        shuffled: list[float] = []
        for k in range(repeats):
            split_seed = seed + k
            wp = np.random.default_rng(10_000 + split_seed).permutation(w)
            test = _split(len(frame), wp, test_ratio, split_seed)
            model = create(best, base=base, seed=split_seed).fit(x[~test], wp[~test], yv[~test])
            shuffled.append(qini_area(yv[test], wp[test], model.predict_uplift(x[test])))
        null = _summary(shuffled)
        bar = max(
            results["random"]["qini_area"],
            results["response_model"]["qini_area"],
            null["mean"] + 2 * null["std"],
        )
        gap = results[best]["qini_area"] - bar
        verdict = (
            f"{best} beats the baselines and the shuffled-treatment null by {gap:.4f} "
            "Qini area (outcome per customer)"
            if gap > 0
            else f"no learner beats the baselines beyond noise: {best} "
            f"{results[best]['qini_area']:.4f} Qini area vs {bar:.4f} (best of random, response "
            f"model, and shuffled-treatment null mean + 2 sd over {repeats} splits)"
        )
    return {
        "protocol": {
            "splits": repeats,
            "test_ratio": test_ratio,
            "stratified_by": "treatment",
            "seeds": [seed + k for k in range(repeats)],
            "baselines": {
                "shuffled_treatment_null": "the best learner refitted with the treatment "
                "labels shuffled, same splits (null_qini: its Qini area)",
                "random": "random order",
                "response_model": f"{base} regression of the outcome on the treated customers "
                "(targets the likeliest buyers, ignoring the effect)",
            },
        },
        "data": {
            "rows": len(frame),
            "treated": int(w.sum()),
            "control": int((~w).sum()),
            "features": features,
            "excluded_outcome_like": excluded,
            "test_rows": int(_split(len(frame), w, test_ratio, seed).sum()),
            "ate_observed_test": round(float(np.mean(ate)), 6),
        },
        "warnings": warnings,
        "verdict": verdict,
        "null_qini": null,
        "results": results,
    }


def evaluate_synthetic(
    setup: str = "B",
    *,
    n: int = 4000,
    learners: Sequence[str] = ("t_learner", "x_learner"),
    base: str = "gbm",
    seed: int = 42,
) -> dict[str, Any]:
    """Train on one draw of a Nie & Wager setup, evaluate on an independent draw."""
    train = nie_wager(setup, n=n, seed=seed)
    test = nie_wager(setup, n=n, seed=seed + 1)
    results: dict[str, Any] = {}
    for name in learners:
        model = create(name, base=base, seed=seed).fit(train.x, train.treatment, train.y)
        results[name] = _scores(
            name, model.predict_uplift(test.x), test.y, test.treatment, test.tau
        )
    rng = np.random.default_rng(seed)
    results["random"] = _scores("random", rng.random(n), test.y, test.treatment, test.tau)
    results["oracle"] = _scores("oracle", test.tau, test.y, test.treatment, test.tau)
    return {"setup": setup.upper(), "n": n, "base_learner": base, "results": results}
