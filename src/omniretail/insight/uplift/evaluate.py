"""Evaluating uplift learners on a campaign file with a holdout (control) group, and on the
Nie & Wager synthetic setups."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from omniretail.insight.uplift.errors import InvalidCampaignData
from omniretail.insight.uplift.learners import create
from omniretail.insight.uplift.metrics import auuc, curve_points, qini_coefficient, qini_curve
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
) -> dict[str, Any]:
    """Fit each learner on a training part of a campaign and report Qini/AUUC on the rest."""
    for col in (treatment_col, outcome_col, *(feature_cols or [])):
        if col not in frame.columns:
            raise InvalidCampaignData(
                f"column {col!r} is not in the campaign data (columns: {list(frame.columns)})",
                field=col,
            )
    if not 0 < test_ratio < 1:
        raise InvalidCampaignData("--test-ratio must be between 0 and 1", field="test_ratio")
    features = (
        list(feature_cols)
        if feature_cols
        else [
            c
            for c in frame.columns
            if c not in (treatment_col, outcome_col) and pd.api.types.is_numeric_dtype(frame[c])
        ]
    )
    if not features:
        raise InvalidCampaignData("no numeric feature columns to learn from", field="features")
    x = frame[features].apply(pd.to_numeric, errors="coerce").fillna(0.0).to_numpy(float)
    y = pd.to_numeric(frame[outcome_col], errors="coerce")
    if y.isna().any():
        raise InvalidCampaignData(f"column {outcome_col!r} has non-numbers", field=outcome_col)
    yv = y.to_numpy(float)
    w = _treatment(frame[treatment_col], treatment_col)
    test = _split(len(frame), w, test_ratio, seed)
    results: dict[str, Any] = {}
    for name in learners:
        model = create(name, base=base, seed=seed).fit(x[~test], w[~test], yv[~test])
        results[name] = _scores(name, model.predict_uplift(x[test]), yv[test], w[test], None)
    rng = np.random.default_rng(seed)
    results["random"] = _scores("random", rng.random(int(test.sum())), yv[test], w[test], None)
    return {
        "data": {
            "rows": len(frame),
            "treated": int(w.sum()),
            "control": int((~w).sum()),
            "features": features,
            "test_rows": int(test.sum()),
            "ate_observed_test": round(float(yv[test & w].mean() - yv[test & ~w].mean()), 6),
        },
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
