"""Spike detection and crisis tickets (the detector alone, then through the store)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from sqlalchemy.orm import Session

from omniretail.care.alerts import service
from omniretail.care.alerts.detect import HOURS_PER_WEEK, DetectorConfig, detect, mean_3sigma
from omniretail.platform.errors import InvalidInput

MONDAY = datetime(2026, 10, 5, tzinfo=UTC)


def stream(rng: np.random.Generator, weeks: int, rate: float) -> np.ndarray:
    h = np.arange(weeks * HOURS_PER_WEEK) % 24
    lam = rate * np.where((h >= 8) & (h <= 22), 1.6, 0.2)
    return rng.poisson(lam)


def test_a_spike_is_found_within_three_hours_and_quiet_streams_stay_quiet() -> None:
    rng = np.random.default_rng(1)
    counts = np.vstack([stream(rng, 8, 0.5) for _ in range(20)])
    quiet = detect(counts)
    series_months = 20 * 4 * 7 / 30.4  # 20 store-topics × 4 weeks after the baseline's history
    assert len(quiet) <= series_months  # ≤ 1 false alert per store-month
    start = 6 * HOURS_PER_WEEK + 10  # a Sunday-week morning, after 4 weeks of history
    counts[3, start : start + 6] += rng.poisson(4 * 0.5 * 1.6, size=6)  # ≈ 5× for six hours
    alerts = [a for a in detect(counts) if a.key == 3 and a.opened >= start]
    assert alerts
    assert alerts[0].opened - start <= 3  # ≈ 0.8 mentions an hour: a few hours to be sure
    assert alerts[0].closed is not None  # hysteresis lets it close after the spike


def test_low_counts_do_not_alert_where_mean_3sigma_does() -> None:
    rng = np.random.default_rng(2)
    counts = np.vstack([stream(rng, 8, 0.05) for _ in range(20)])  # about one mention a day
    ours, classic = len(detect(counts)), len(mean_3sigma(counts))
    assert ours <= 20 * 4 * 7 / 30.4  # ≤ 1 per store-month (minimum count, Poisson tails)
    assert classic > 10 * max(ours, 1)  # a single mention is "3σ" on a near-zero series


def test_cooldown_limits_repeated_alerts() -> None:
    rng = np.random.default_rng(3)
    counts = np.vstack([stream(rng, 6, 1.0)])
    base = 5 * HOURS_PER_WEEK
    for k in range(4):  # four bursts two hours apart
        counts[0, base + 4 * k] += 12
    cfg = DetectorConfig(cooldown_h=24)
    assert len([a for a in detect(counts, cfg) if a.opened >= base]) == 1


def _background(session: Session, hours: int, rng: np.random.Generator) -> None:
    mentions = []
    for t in range(hours):
        at = MONDAY + timedelta(hours=t)
        for i in range(rng.poisson(0.6 if 8 <= at.hour <= 22 else 0.1)):
            mentions.append(
                service.MentionIn(
                    "review", f"r{t}-{i}", "delivery", "meituan", at, "S1", "上海", "送太慢了"
                )
            )
    service.record_mentions(session, mentions)


def test_spike_opens_one_crisis_ticket_with_playbook_and_sla(session: Session) -> None:
    rng = np.random.default_rng(4)
    hours = 5 * HOURS_PER_WEEK
    _background(session, hours, rng)
    spike_at = MONDAY + timedelta(hours=hours - 3)
    spike = [
        service.MentionIn(
            "review",
            f"spike-{i}",
            "delivery",
            "meituan",
            spike_at + timedelta(minutes=i),
            "S1",
            "上海",
        )
        for i in range(15)
    ]
    assert service.record_mentions(session, spike) == 15
    assert service.record_mentions(session, spike) == 0  # replay
    now = MONDAY + timedelta(hours=hours)
    tickets = service.scan(session, now=now)
    stores = [t for t in tickets if t.scope == "store" and t.channel == "*"]
    assert stores, [t.key for t in tickets]
    # one ticket per incident: the meituan-only alert of the same store and topic is left out
    assert not [t for t in tickets if t.scope == "store" and t.channel == "meituan"]
    t = stores[0]
    assert (t.unit, t.topic, t.playbook, t.owner_team) == (
        "S1",
        "delivery",
        "delivery",
        "fulfilment",
    )
    assert t.sla_due_at == now + timedelta(hours=2)
    assert t.count >= 10
    assert service.scan(session, now=now) == []  # idempotent
    assert {x.id for x in service.open_tickets(session)} >= {t.id}


def test_naive_time_is_refused(session: Session) -> None:
    with pytest.raises(InvalidInput):
        service.record_mentions(
            session,
            [service.MentionIn("review", "x", "taste", "tmall", datetime(2026, 1, 1))],  # noqa: DTZ001
        )


def test_mentions_from_analysed_reviews(session: Session) -> None:
    import pandas as pd

    frame = pd.DataFrame(
        {
            "review_id": ["r1", "r2"],
            "created_at": ["2026-11-05T10:20:00+08:00", "2026-11-05 11:00:00"],
            "platform": ["meituan", "jd"],
            "store_code": ["S1", None],
        }
    )
    analysis = pd.DataFrame(
        {
            "review_id": ["r1", "r2"],
            "neg_aspects": ["delivery|packaging", ""],
            "examples": ["送太慢了\u241e盒子破了", ""],
        }
    )
    found = service.mentions_from_reviews(frame, analysis)
    assert [(m.topic, m.channel, m.store_code, m.text) for m in found] == [
        ("delivery", "meituan", "S1", "送太慢了"),
        ("packaging", "meituan", "S1", "盒子破了"),
    ]
    assert service.record_mentions(session, found) == 2
    assert service.record_mentions(session, found) == 0


def test_a_past_spike_does_not_raise_the_baseline() -> None:
    from omniretail.care.alerts.detect import expected_counts

    rng = np.random.default_rng(5)
    counts = np.vstack([stream(rng, 6, 1.0) for _ in range(5)])
    cfg = DetectorConfig()
    clean = expected_counts(counts, cfg)
    spiked = counts.copy()
    hour = 2 * HOURS_PER_WEEK + 30  # a Tuesday morning in the baseline's history
    spiked[0, hour : hour + 3] += 60  # a past crisis: 180 mentions in three hours
    lam = expected_counts(spiked, cfg)
    same_hour = 4 * HOURS_PER_WEEK + 30  # the same hour of week, once the history is full
    assert lam[0, same_hour] < 1.2 * clean[0, same_hour]  # clipped: the spike is not "normal"
    assert abs(np.nansum(lam[0]) / np.nansum(clean[0]) - 1) < 0.05  # nor the weekly level
    assert np.allclose(lam[1:], clean[1:], equal_nan=True)  # other keys' baselines unchanged


def test_hysteresis_and_cooldown_on_given_scores() -> None:
    from omniretail.care.alerts.detect import Scores, alerts_from

    row = np.array([0, 4, 3, 2.5, 1, 5, 5, 0, 0, 4.5, 2.2, 0, 0], dtype=float)
    best = np.vstack([row, np.zeros_like(row)])
    sc = Scores(best, np.full(best.shape, 5.0), np.ones(best.shape), np.ones(best.shape, int))
    cfg = DetectorConfig(open_score=3.5, close_score=2.0, cooldown_h=4)
    got = [(a.key, a.opened, a.closed, a.hours, a.peak_score) for a in alerts_from(sc, cfg)]
    # opens at hour 1 (4 ≥ 3.5), holds through 2.5 ≥ 2, closes at hour 4 (1 < 2); hours 5–7 are
    # the cool-down, so the 5s at hours 5 and 6 open nothing; hour 9 opens again
    assert got == [(0, 1, 4, [1, 2, 3], 4.0), (0, 9, 11, [9, 10], 4.5)]
    assert alerts_from(sc, replace(cfg, cooldown_h=0))[1].opened == 5  # no cool-down


def test_an_alert_still_open_at_the_end_has_no_closing_hour() -> None:
    from omniretail.care.alerts.detect import Scores, alerts_from

    best = np.array([[0.0, 0.0, 6.0, 6.0]])
    sc = Scores(best, np.full(best.shape, 9.0), np.ones(best.shape), np.ones(best.shape, int))
    (a,) = alerts_from(sc, DetectorConfig())
    assert (a.opened, a.closed, a.hours, a.count) == (2, None, [2, 3], 9)


def test_a_sparse_key_opens_on_two_mentions_that_a_busy_key_would_need_three_for() -> None:
    from omniretail.care.alerts.detect import sparse_keys

    rng = np.random.default_rng(6)
    weeks = 8
    counts = np.vstack([stream(rng, weeks, 0.003) for _ in range(40)])  # ~1 mention in 2 weeks
    cfg = DetectorConfig()
    assert sparse_keys(counts, cfg).all()
    assert not sparse_keys(counts, replace(cfg, sparse_below=0.0)).any()
    store_months = 40 * (weeks - 4) * 7 / 30.4
    assert len(detect(counts, cfg)) <= store_months  # quiet sparse keys: ≤ 1 per store-month
    start = 6 * HOURS_PER_WEEK + 12
    counts[7, start : start + 2] += 1  # two mentions in two hours on a key that sees ~1 a fortnight
    found = [a for a in detect(counts, cfg) if a.key == 7 and a.opened >= start]
    assert found
    assert found[0].opened - start <= 2
    busy = [a for a in detect(counts, replace(cfg, sparse_below=0.0)) if a.key == 7]
    assert not [a for a in busy if a.opened >= start]  # the busy settings want 3 mentions


def test_busy_keys_keep_their_settings_beside_sparse_ones() -> None:
    rng = np.random.default_rng(7)
    busy = np.vstack([stream(rng, 6, 0.5) for _ in range(5)])
    sparse = np.vstack([stream(rng, 6, 0.003) for _ in range(5)])
    cfg = DetectorConfig()
    alone = detect(busy, cfg)
    mixed = [a for a in detect(np.vstack([busy, sparse]), cfg) if a.key < 5]
    key = [(a.key, a.opened, a.closed, a.count) for a in alone]
    assert key == [(a.key, a.opened, a.closed, a.count) for a in mixed]
