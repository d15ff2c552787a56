"""Evaluating uplift scores: Qini curve, AUUC and the Qini coefficient (Radcliffe 2007).

Sort customers by the score, best first. After the top n of them, with n_t treated and n_c
control among them:

- **Qini curve** ``Q(n) = Y_t(n) − Y_c(n) · n_t(n) / n_c(n)`` — the incremental outcome among
  the treated part of the top n (Y_t, Y_c: summed outcomes of treated / control). With known
  individual effects (synthetic data) ``Q(n) = n_t(n) · mean(τ of the top n)``.
- **Cumulative gain** ``G(n) = (Ȳ_t(n) − Ȳ_c(n)) · n`` — the uplift of the top n scaled to
  all of them; **AUUC** is the mean of G over n = 1..N, normalized by |G(N)|.
- **Qini coefficient**: the mean of the normalized Qini curve minus that of random targeting
  (the straight line to Q(N)) — above 0 when the score ranks customers better than chance.

These follow causalml's ``get_qini`` / ``qini_score`` / ``auuc_score`` definitions.
"""

from __future__ import annotations

import numpy as np


def _sorted(score: np.ndarray, *arrays: np.ndarray) -> list[np.ndarray]:
    order = np.argsort(-np.asarray(score, dtype=np.float64), kind="stable")
    return [np.asarray(a)[order] for a in arrays]


def qini_curve(
    y: np.ndarray | None,
    treatment: np.ndarray,
    score: np.ndarray,
    *,
    true_effect: np.ndarray | None = None,
) -> np.ndarray:
    """Q(0..N) for a score; pass ``true_effect`` to use known τ instead of observed outcomes."""
    w = np.asarray(treatment).astype(np.float64)
    n = np.arange(1, len(w) + 1, dtype=np.float64)
    if true_effect is not None:
        (ws, tau) = _sorted(score, w, true_effect)
        q = np.cumsum(tau) / n * np.cumsum(ws)
    else:
        if y is None:
            raise ValueError("give the outcomes or the true effects")
        (ws, ys) = _sorted(score, w, np.asarray(y, dtype=np.float64))
        nt = np.cumsum(ws)
        nc = n - nt
        yt = np.cumsum(ys * ws)
        yc = np.cumsum(ys * (1 - ws))
        with np.errstate(divide="ignore", invalid="ignore"):
            q = yt - np.where(nc > 0, yc * nt / np.where(nc > 0, nc, 1), 0.0)
    return np.concatenate([[0.0], q])


def cumulative_gain(
    y: np.ndarray | None,
    treatment: np.ndarray,
    score: np.ndarray,
    *,
    true_effect: np.ndarray | None = None,
) -> np.ndarray:
    """G(0..N) = uplift of the top n × n."""
    w = np.asarray(treatment).astype(np.float64)
    n = np.arange(1, len(w) + 1, dtype=np.float64)
    if true_effect is not None:
        (tau,) = _sorted(score, true_effect)
        g = np.cumsum(tau)
    else:
        if y is None:
            raise ValueError("give the outcomes or the true effects")
        (ws, ys) = _sorted(score, w, np.asarray(y, dtype=np.float64))
        nt = np.cumsum(ws)
        nc = n - nt
        with np.errstate(divide="ignore", invalid="ignore"):
            mt = np.where(nt > 0, np.cumsum(ys * ws) / np.where(nt > 0, nt, 1), 0.0)
            mc = np.where(nc > 0, np.cumsum(ys * (1 - ws)) / np.where(nc > 0, nc, 1), 0.0)
        g = (mt - mc) * n
    return np.concatenate([[0.0], g])


def _normalized_area(curve: np.ndarray) -> float:
    end = abs(curve[-1])
    return float(np.mean(curve / end)) if end > 0 else 0.0


def auuc(
    y: np.ndarray | None,
    treatment: np.ndarray,
    score: np.ndarray,
    *,
    true_effect: np.ndarray | None = None,
) -> float:
    """Area under the normalized cumulative-gain curve (random targeting ≈ 0.5)."""
    return _normalized_area(cumulative_gain(y, treatment, score, true_effect=true_effect))


def qini_coefficient(
    y: np.ndarray | None,
    treatment: np.ndarray,
    score: np.ndarray,
    *,
    true_effect: np.ndarray | None = None,
) -> float:
    """Normalized area between the Qini curve and random targeting (0 = no better than chance)."""
    q = qini_curve(y, treatment, score, true_effect=true_effect)
    random_line = np.linspace(0.0, q[-1], len(q))
    end = abs(q[-1])
    if end == 0:
        return 0.0
    return float(np.mean(q / end) - np.mean(random_line / end))


def qini_area(y: np.ndarray, treatment: np.ndarray, score: np.ndarray) -> float:
    """Area between the Qini curve and random targeting, per customer, in outcome units (not
    normalized by the total effect, so it stays comparable when that total is near zero, as in
    a campaign without effect where the normalized coefficient swings wildly)."""
    q = qini_curve(y, treatment, score)
    random_line = np.linspace(0.0, q[-1], len(q))
    return float(np.mean(q - random_line)) / max(len(q) - 1, 1)


def curve_points(curve: np.ndarray, points: int = 21) -> list[dict[str, float]]:
    """A compact curve for charts: (share of customers targeted, value) at ``points`` steps."""
    n = len(curve) - 1
    idx = np.unique(np.round(np.linspace(0, n, points)).astype(int))
    return [{"share": float(i / n) if n else 0.0, "value": float(curve[i])} for i in idx]
