"""The ground truth: it covers every raw identity, and the offer response model behaves."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from omniretail.demo.layout import identity_ids
from omniretail.demo.truth import simulate_response, true_effect


def test_truth_covers_exactly_the_identities_in_the_exports(world_dir: Path) -> None:
    truth = pq.read_table(world_dir / "truth/identity_truth.parquet").to_pandas()
    found = identity_ids(world_dir)
    assert set(found) == set(truth["source"])
    for source, ids in found.items():
        known = set(truth.loc[truth["source"] == source, "source_record_id"])
        assert ids - known == set(), f"{source}: ids missing from the truth"
        assert known - ids == set(), f"{source}: truth has ids not in the exports"
    assert not truth.duplicated(["source", "source_record_id"]).any()


def test_identity_truth_points_at_real_persons(world_dir: Path) -> None:
    truth = pq.read_table(world_dir / "truth/identity_truth.parquet").to_pandas()
    persons = pq.read_table(world_dir / "truth/persons.parquet").to_pandas()
    assigned = truth["person_id"].dropna()
    assert set(assigned) <= set(persons["person_id"])
    tests = truth[truth["person_id"].isna()]
    assert len(tests) > 0
    assert (tests["kind"] == "test").all()
    # people show up in several sources, sometimes twice in one
    per_person = truth.dropna(subset=["person_id"]).groupby("person_id")["source"].nunique()
    assert (per_person >= 3).mean() > 0.2
    assert truth["is_duplicate"].mean() > 0.01


def test_persons_carry_personas(world_dir: Path) -> None:
    persons = pq.read_table(world_dir / "truth/persons.parquet").to_pandas()
    tastes = persons.filter(like="taste_")
    assert tastes.shape[1] == 6
    assert np.allclose(tastes.sum(axis=1), 1.0, atol=1e-3)
    assert set(persons["lifecycle"]) <= {"new", "active", "at_risk", "churned"}
    assert (persons["coupon_sensitivity"] < 0).mean() > 0.01  # sleeping dogs exist
    assert persons["phone"].str.fullmatch(r"\+861\d{10}").all()
    assert persons["phone"].is_unique


def test_true_effect_matches_the_documented_formula(world_dir: Path) -> None:
    resp = pq.read_table(world_dir / "truth/offer_response.parquet")
    eff = true_effect(world_dir, offer_value=20.0, window_days=30)
    rate = resp.column("base_rate_per_day").to_numpy()
    u = resp.column("offer_uplift").to_numpy()
    mult = np.maximum(0, 1 + u * 20 / 40)
    expected = np.exp(-rate * 30) - np.exp(-rate * 30 * mult)
    assert np.allclose(eff.column("uplift_probability").to_numpy(), expected)
    sleeping = u < 0
    assert (eff.column("uplift_probability").to_numpy()[sleeping] <= 0).all()
    assert eff.column("uplift_probability").to_numpy().mean() > 0


def test_simulated_lift_matches_the_true_effect(world_dir: Path) -> None:
    resp = pq.read_table(world_dir / "truth/offer_response.parquet")
    ids = np.repeat(resp.column("person_id").to_numpy(zero_copy_only=False), 40)
    treated = np.tile([True, False], len(ids) // 2)
    out = simulate_response(world_dir, ids, treated, offer_value=10, window_days=30, rng=1)
    t = out.column("treated").to_numpy()
    bought = out.column("purchased").to_numpy()
    measured = bought[t].mean() - bought[~t].mean()
    truth = true_effect(world_dir, offer_value=10, window_days=30)
    true_lift = truth.column("uplift_probability").to_numpy().mean()
    assert measured == pytest.approx(true_lift, abs=0.01)
    assert (out.column("spend").to_numpy()[~bought] == 0).all()
    again = simulate_response(world_dir, ids, treated, offer_value=10, window_days=30, rng=1)
    assert again.equals(out)


def test_simulate_response_refuses_unknown_people(world_dir: Path) -> None:
    with pytest.raises(KeyError, match="P9999999"):
        simulate_response(world_dir, ["P9999999"], [True], rng=0)
    with pytest.raises(ValueError, match="one entry per person_id"):
        simulate_response(world_dir, ["P0000001"], [True, False], rng=0)


def test_review_truth_ties_sentiment_to_ratings(world_dir: Path) -> None:
    reviews = pq.read_table(world_dir / "truth/reviews_truth.parquet").to_pandas()
    assert set(reviews["aspect"]) <= {"口味", "新鲜度", "包装", "价格", "物流", "服务"}
    import pyarrow.json as pajson

    dump = pajson.read_json(world_dir / "exports/reviews/reviews.jsonl").to_pandas()
    score = reviews.groupby("review_id")["sentiment"].sum()
    joined = dump.set_index("review_id").join(score)
    assert joined[["rating", "sentiment"]].corr().iloc[0, 1] > 0.5
    assert (
        pc.sum(
            pc.equal(
                pajson.read_json(world_dir / "exports/reviews/reviews.jsonl").column("platform"),
                "dianping",
            )
        ).as_py()
        > 0
    )
