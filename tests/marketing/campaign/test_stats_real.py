"""Campaign statistics on real purchases: CDNOW's 23,570 customers (the master file shipped in the
``lifetimes`` wheel) with no campaign at all, split into random A/A campaigns. Rare conversions
(one day's buyers, 0.56%) and real heavy-tailed spend — the case where the Wald and Welch
normal approximations flagged 27–29% of no-effect campaigns."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from omniretail.insight.clv.datasets import package_data_file
from omniretail.marketing.campaign.stats import (
    aa_test,
    aa_test_population,
    mean_effect,
    newcombe_interval,
    proportion_effect,
)


@pytest.fixture(scope="module")
def cdnow() -> pd.DataFrame:
    path = package_data_file("lifetimes", "datasets", "CDNOW_master.txt")
    frame = pd.read_csv(path, sep=r"\s+", dtype={"customer_id": str, "date": str})
    frame["date"] = pd.to_datetime(frame["date"], format="%Y%m%d")
    return frame


def _spend(cdnow: pd.DataFrame, start: str, days: int) -> np.ndarray:
    """Every CDNOW customer's spend in [start, start + days): 0 for those who did not buy."""
    ids = np.sort(cdnow["customer_id"].unique())
    window = cdnow[
        (cdnow["date"] >= start) & (cdnow["date"] < pd.Timestamp(start) + pd.Timedelta(days=days))
    ]
    by_customer = window.groupby("customer_id")["dollar_value"].sum()
    spend = pd.Series(0.0, index=ids)
    spend[by_customer.index] = by_customer.to_numpy()
    return spend.to_numpy()


def test_rare_conversions_say_not_enough_data(cdnow: pd.DataFrame) -> None:
    """One day's buyers (0.56%), 2,000-member campaigns with a 10% holdout: about one expected
    conversion in the holdout. No verdict may be given (the Wald interval flagged 28.7%)."""
    spend = _spend(cdnow, "1997-04-15", 1)
    assert 0.005 < (spend > 0).mean() < 0.006
    out = aa_test_population(spend > 0, spend, campaigns=300, audience=2000, seed=3)
    assert out["flagged_conversion"] / 300 <= 0.07, out
    assert out["flagged_revenue"] / 300 <= 0.07, out
    assert out["share_inconclusive"] == 1.0
    # The minimum detectable effect says why: more than twice the base rate.
    assert out["median_mde_conversion"] > 2 * 0.0056


def test_weekly_purchases_flag_three_to_seven_percent(cdnow: pd.DataFrame) -> None:
    """A week's buyers (3.4%) and their real spend, 2,000-member campaigns, 10% holdout:
    verdicts are given and 3–7% of them are false alarms (Welch flagged 13.6% on revenue)."""
    spend = _spend(cdnow, "1997-04-14", 7)
    out = aa_test_population(spend > 0, spend, campaigns=1000, audience=2000, seed=3)
    assert out["concluded_conversion"] >= 950
    assert 0.03 <= out["share_flagged"] <= 0.07, out
    assert 0.03 <= out["share_flagged_revenue"] <= 0.07, out


def test_zero_conversions_in_the_holdout_is_not_a_certain_lift() -> None:
    """The Wald interval of 6/1800 vs 0/200 collapsed to the treatment arm's standard error and
    called it significant; Newcombe's interval covers 0 and the arms are too small to conclude."""
    e = proportion_effect(6, 1800, 0, 200)
    assert e.ci_low < 0 < e.ci_high
    assert not e.significant
    assert e.verdict == "insufficient"
    assert e.as_dict()["verdict_text"] == "not enough data to conclude"
    lo, hi = newcombe_interval(6, 1800, 0, 200)
    assert (lo, hi) == (e.ci_low, e.ci_high)
    # Newcombe (1998) Table II, example (e): 56/70 vs 48/80 → [0.0524, 0.3339] (method 10)
    lo, hi = newcombe_interval(56, 70, 48, 80)
    assert round(lo, 4) == 0.0524
    assert round(hi, 4) == 0.3339


def test_effects_still_detected() -> None:
    e = proportion_effect(300, 1000, 200, 1000)
    assert e.significant
    assert e.verdict == "lift"
    assert e.mde is not None
    assert 0.04 < e.mde < 0.07
    rng = np.random.default_rng(1)
    buyers_t = rng.random(5000) < 0.05
    buyers_c = rng.random(5000) < 0.05
    t = np.where(buyers_t, rng.lognormal(4, 1, 5000) * 1.6, 0.0)
    c = np.where(buyers_c, rng.lognormal(4, 1, 5000), 0.0)
    r = mean_effect(t, c)
    assert r.verdict == "lift", r


@pytest.mark.slow
@pytest.mark.parametrize(
    ("base_rate", "audience", "holdout"),
    list(itertools.product((0.003, 0.2), (500, 100_000), (0.02, 0.2))) + [(0.02, 5000, 0.1)],
)
def test_aa_grid(base_rate: float, audience: int, holdout: float) -> None:
    """The target grid's corners: among campaigns that reach a verdict 3–7% are flagged; where
    no verdict is possible (500 members at 0.3%) every campaign says not enough data."""
    campaigns = 300 if audience >= 100_000 else 1000
    out = aa_test(
        campaigns=campaigns, audience=audience, holdout_share=holdout, base_rate=base_rate, seed=5
    )
    for share, concluded, flagged in (
        ("share_flagged", "concluded_conversion", "flagged_conversion"),
        ("share_flagged_revenue", "concluded_revenue", "flagged_revenue"),
    ):
        if out[concluded] >= campaigns // 2:
            assert 0.03 <= out[share] <= 0.07, out
        else:  # mostly not enough data: false alarms stay rare over all campaigns
            assert out[flagged] <= 0.07 * campaigns, out
