"""Incremental effect versus the holdout, with 95% confidence intervals.

Conversion: difference of two proportions with the unpooled (Wald) standard error.
Revenue per member: Welch's difference of means. Both are normal approximations,
valid for the audience sizes campaigns have; the A/A test (``aa_test``) checks the false
positive rate empirically.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

Z95 = 1.959963984540054


@dataclass(frozen=True)
class Effect:
    treatment: float
    control: float
    lift: float  # absolute difference treatment - control
    ci_low: float
    ci_high: float
    relative_lift: float | None
    p_value: float
    significant: bool

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _p_two_sided(z: float) -> float:
    return math.erfc(abs(z) / math.sqrt(2))


def proportion_effect(conv_t: int, n_t: int, conv_c: int, n_c: int) -> Effect:
    if n_t == 0 or n_c == 0:
        raise ValueError("both arms need members")
    p_t, p_c = conv_t / n_t, conv_c / n_c
    se = math.sqrt(p_t * (1 - p_t) / n_t + p_c * (1 - p_c) / n_c)
    diff = p_t - p_c
    if se == 0:
        return Effect(
            p_t,
            p_c,
            diff,
            diff,
            diff,
            diff / p_c if p_c else None,
            1.0 if diff == 0 else 0.0,
            diff != 0,
        )
    z = diff / se
    lo, hi = diff - Z95 * se, diff + Z95 * se
    return Effect(
        p_t, p_c, diff, lo, hi, diff / p_c if p_c else None, _p_two_sided(z), lo > 0 or hi < 0
    )


def mean_effect(
    values_t: Sequence[float] | np.ndarray, values_c: Sequence[float] | np.ndarray
) -> Effect:
    t = np.asarray(values_t, dtype=float)
    c = np.asarray(values_c, dtype=float)
    if len(t) < 2 or len(c) < 2:
        raise ValueError("both arms need at least two members")
    m_t, m_c = float(t.mean()), float(c.mean())
    se = math.sqrt(t.var(ddof=1) / len(t) + c.var(ddof=1) / len(c))
    diff = m_t - m_c
    if se == 0:
        return Effect(m_t, m_c, diff, diff, diff, diff / m_c if m_c else None, 1.0, diff != 0)
    lo, hi = diff - Z95 * se, diff + Z95 * se
    return Effect(
        m_t,
        m_c,
        diff,
        lo,
        hi,
        diff / m_c if m_c else None,
        _p_two_sided(diff / se),
        lo > 0 or hi < 0,
    )


def aa_test(
    *, campaigns: int = 1000, audience: int = 5000, holdout_share: float = 0.10, seed: int = 7
) -> dict[str, Any]:
    """Simulate campaigns with no true effect and count how often the report flags a lift.

    Members have heterogeneous purchase rates (gamma-Poisson, as in the demo world's response
    model); treatment and holdout are drawn from the same distribution.
    """
    from omniretail.marketing.campaign.planning import assign_arms

    rng = np.random.default_rng(seed)
    flagged_conv = flagged_rev = 0
    ids = [f"C{i:09d}" for i in range(audience)]
    strata = [("new", "mature", "dormant")[i % 3] for i in range(audience)]
    # The real (hash-based, stratified) assignment of 50 campaign codes, cycled: every simulated
    # campaign draws fresh outcomes, so the assignment is independent of them as in production.
    splits = []
    for k in range(min(campaigns, 50)):
        arms = assign_arms(ids, strata, campaign_code=f"AA{seed}-{k}", holdout_share=holdout_share)
        pos = {a.customer_id: a.arm == "treatment" for a in arms}
        splits.append(np.array([pos[i] for i in ids]))
    for k in range(campaigns):
        treat = splits[k % len(splits)]
        rate = rng.gamma(0.6, 0.25, size=audience)
        orders = rng.poisson(rate)
        spend = np.where(orders > 0, rng.gamma(np.maximum(orders, 1) * 2.0, 40.0), 0.0)
        conv = orders > 0
        e = proportion_effect(
            int(conv[treat].sum()), int(treat.sum()), int(conv[~treat].sum()), int((~treat).sum())
        )
        r = mean_effect(spend[treat], spend[~treat])
        flagged_conv += e.significant
        flagged_rev += r.significant
    return {
        "campaigns": campaigns,
        "audience": audience,
        "holdout_share": holdout_share,
        "flagged_conversion": flagged_conv,
        "flagged_revenue": flagged_rev,
        "share_flagged": flagged_conv / campaigns,
        "share_flagged_revenue": flagged_rev / campaigns,
        "expected": 0.05,
    }
