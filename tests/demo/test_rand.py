"""The vectorised random helpers the generator is built on."""

from __future__ import annotations

import re

import numpy as np
import pytest

from omniretail.demo.calendar import DAYS, N_DAYS, daily_weights
from omniretail.demo.rand import draw_in_groups, draw_rows, scrambled_ids, stage_rng, uuid_array


def test_draw_rows_follows_each_rows_distribution() -> None:
    rng = np.random.default_rng(0)
    probs = np.array([[0.7, 0.3, 0.0], [0.0, 0.0, 1.0], [0.2, 0.2, 0.6]])
    rows = np.repeat([0, 1, 2], 20_000)
    got = draw_rows(rng, probs, rows)
    for r in range(3):
        share = np.bincount(got[rows == r], minlength=3) / 20_000
        assert share == pytest.approx(probs[r], abs=0.015)


def test_draw_in_groups_stays_inside_the_group() -> None:
    rng = np.random.default_rng(1)
    weights = np.array([1.0, 3.0, 1.0, 1.0, 1.0, 5.0])
    offsets = np.array([0, 2, 6])
    group = np.repeat([0, 1], 30_000)
    got = draw_in_groups(rng, weights, offsets, group)
    assert ((got[group == 0] >= 0) & (got[group == 0] < 2)).all()
    assert ((got[group == 1] >= 2) & (got[group == 1] < 6)).all()
    share = np.bincount(got[group == 0], minlength=2)[:2] / 30_000
    assert share == pytest.approx([0.25, 0.75], abs=0.015)


@pytest.mark.parametrize("width", [6, 8, 10, 12, 16])
def test_scrambled_ids_are_distinct_and_fit(width: int) -> None:
    ids = scrambled_ids(50_000, width, salt=12345)
    assert len(np.unique(ids)) == 50_000
    assert ids.max() < 10**width
    with pytest.raises(ValueError, match="distinct"):
        scrambled_ids(11, 1, salt=0)


def test_uuid_array_shape() -> None:
    ids = uuid_array(np.random.default_rng(2), 1000).to_pylist()
    assert len(set(ids)) == 1000
    pattern = r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}"
    assert all(re.fullmatch(pattern, i) for i in ids)


def test_stage_generators_are_independent_and_stable() -> None:
    a = stage_rng(42, "orders").random(3)
    assert np.array_equal(a, stage_rng(42, "orders").random(3))
    assert not np.array_equal(a, stage_rng(42, "people").random(3))
    assert not np.array_equal(a, stage_rng(43, "orders").random(3))


def test_calendar_has_the_real_festival_peaks() -> None:
    assert N_DAYS == 730
    platform = daily_weights("platform")
    day = {str(d): i for i, d in enumerate(DAYS)}
    median = np.median(platform)
    assert platform[day["2025-11-11"]] > 6 * median
    assert platform[day["2025-06-18"]] > 3 * median
    offline = daily_weights("offline")
    # the week of the Spring Festival (2026-02-17) is quiet in stores, the weeks before busy
    assert offline[day["2026-02-18"]] < offline[day["2026-02-10"]] / 2
