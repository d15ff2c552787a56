"""The synthetic setups of Nie & Wager (2021), "Quasi-oracle estimation of heterogeneous
treatment effects", Biometrika 108(2) — the same data-generating processes causalml ships as
``causalml.dataset.synthetic_data(mode=1..4)`` (causalml itself is not a dependency: its wheel
pulls xgboost, lightgbm, shap, matplotlib and CUDA libraries). For n customers, p ≥ 5 features:

- **A** (mode 1) difficult nuisance, easy effect: X ~ U[0,1]^p,
  b = sin(π x₁x₂) + 2(x₃ − ½)² + x₄ + ½x₅, e = clip(sin(π x₁x₂), 0.1, 0.9), τ = (x₁ + x₂)/2
- **B** (mode 2) randomized trial: X ~ N(0, I), b = max(0, x₁+x₂, x₃) + max(0, x₄+x₅),
  e = ½, τ = x₁ + log(1 + e^{x₂})
- **C** (mode 3) easy propensity, difficult baseline: b = 2 log(1 + e^{x₁+x₂+x₃}),
  e = 1/(1 + e^{x₂+x₃}), τ = 1
- **D** (mode 4) unrelated arms: b = ½(max(0, x₁+x₂+x₃) + max(0, x₄+x₅)),
  e = 1/(1 + e^{−x₁} + e^{−x₂}), τ = max(0, x₁+x₂+x₃) − max(0, x₄+x₅)

and in every setup W ~ Bernoulli(e), Y = b + (W − ½)·τ + σ·ε, ε ~ N(0, 1).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from omniretail.insight.uplift.errors import InvalidCampaignData


@dataclass
class SyntheticCampaign:
    x: np.ndarray
    treatment: np.ndarray
    y: np.ndarray
    tau: np.ndarray  # the true individual effect
    baseline: np.ndarray
    propensity: np.ndarray


def _softplus(v: np.ndarray) -> np.ndarray:
    return np.asarray(np.logaddexp(0.0, v))


def nie_wager(
    setup: str, *, n: int = 2000, p: int = 6, sigma: float = 1.0, seed: int = 42
) -> SyntheticCampaign:
    """Draw one data set from setup A, B, C or D."""
    if p < 5:
        raise InvalidCampaignData("the Nie & Wager setups need p >= 5 features", field="p")
    rng = np.random.default_rng(seed)
    s = setup.upper()
    if s == "A":
        x = rng.uniform(size=(n, p))
        b = np.sin(np.pi * x[:, 0] * x[:, 1]) + 2 * (x[:, 2] - 0.5) ** 2 + x[:, 3] + 0.5 * x[:, 4]
        e = np.clip(np.sin(np.pi * x[:, 0] * x[:, 1]), 0.1, 0.9)
        tau = (x[:, 0] + x[:, 1]) / 2
    elif s == "B":
        x = rng.normal(size=(n, p))
        b = np.maximum.reduce([np.zeros(n), x[:, 0] + x[:, 1], x[:, 2]]) + np.maximum(
            0.0, x[:, 3] + x[:, 4]
        )
        e = np.full(n, 0.5)
        tau = x[:, 0] + _softplus(x[:, 1])
    elif s == "C":
        x = rng.normal(size=(n, p))
        b = 2 * _softplus(x[:, 0] + x[:, 1] + x[:, 2])
        e = 1 / (1 + np.exp(x[:, 1] + x[:, 2]))
        tau = np.ones(n)
    elif s == "D":
        x = rng.normal(size=(n, p))
        b = (np.maximum(0.0, x[:, 0] + x[:, 1] + x[:, 2]) + np.maximum(0.0, x[:, 3] + x[:, 4])) / 2
        e = 1 / (1 + np.exp(-x[:, 0]) + np.exp(-x[:, 1]))
        tau = np.maximum(0.0, x[:, 0] + x[:, 1] + x[:, 2]) - np.maximum(0.0, x[:, 3] + x[:, 4])
    else:
        raise InvalidCampaignData("setup must be A, B, C or D", field="setup")
    w = rng.binomial(1, e).astype(bool)
    y = b + (w - 0.5) * tau + sigma * rng.normal(size=n)
    return SyntheticCampaign(x=x, treatment=w, y=y, tau=tau, baseline=b, propensity=e)
