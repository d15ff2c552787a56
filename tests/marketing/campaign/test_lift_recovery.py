"""On the demo world, the campaign report's estimator recovers the generator's true effect.

Members respond through the demo world's ground-truth response model (demo.truth): the
holdout/treatment split is the campaign's own stratified assignment, the estimate and its 95%
interval are the report's. Over many simulated campaigns the interval must cover the true
average effect about 95% of the time, and the estimate must be unbiased."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from omniretail.demo import generate_world
from omniretail.demo.truth import simulate_response, true_effect
from omniretail.marketing.campaign.planning import assign_arms
from omniretail.marketing.campaign.stats import mean_effect, proportion_effect


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("world")
    generate_world(out, scale=0.02, seed=5)
    return out


def test_measured_lift_recovers_the_true_effect(world: Path) -> None:
    import pyarrow.parquet as pq

    persons = pq.read_table(world / "truth" / "offer_response.parquet")
    ids = [str(x) for x in persons.column("person_id").to_pylist()]
    truth = true_effect(persons, ids, offer_value=10.0, window_days=30)
    covered_conv = covered_rev = 0
    estimates: list[float] = []
    runs = 200
    for k in range(runs):
        arms = assign_arms(ids, [None] * len(ids), campaign_code=f"LIFT-{k}", holdout_share=0.5)
        treated = np.array([a.arm == "treatment" for a in arms])
        out = simulate_response(persons, ids, treated, offer_value=10.0, window_days=30, rng=k)
        bought = out.column("purchased").to_numpy()
        spend = out.column("spend").to_numpy()
        # the true average effect over the campaign's audience (the difference-in-means estimand)
        true_conv = float(np.mean(truth.column("uplift_probability").to_numpy()))
        true_rev = float(np.mean(truth.column("uplift_spend").to_numpy()))
        e = proportion_effect(
            int(bought[treated].sum()),
            int(treated.sum()),
            int(bought[~treated].sum()),
            int((~treated).sum()),
        )
        r = mean_effect(spend[treated], spend[~treated])
        covered_conv += e.ci_low <= true_conv <= e.ci_high
        covered_rev += r.ci_low <= true_rev <= r.ci_high
        estimates.append(e.lift - true_conv)
    assert 0.88 <= covered_conv / runs <= 0.995
    assert 0.88 <= covered_rev / runs <= 0.995
    bias = float(np.mean(estimates))
    assert abs(bias) < 4 * float(np.std(estimates)) / np.sqrt(runs)
