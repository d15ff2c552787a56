from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

from omniretail.marketing.campaign import planning
from omniretail.marketing.campaign.stats import aa_test, mean_effect, proportion_effect


def test_holdout_is_exact_within_every_stratum_and_stable() -> None:
    ids = [f"C{i:09d}" for i in range(3000)]
    strata = [("new", "mature", "dormant")[i % 3] for i in range(3000)]
    a1 = planning.assign_arms(ids, strata, campaign_code="BDAY", holdout_share=0.1)
    a2 = planning.assign_arms(
        list(reversed(ids)), list(reversed(strata)), campaign_code="BDAY", holdout_share=0.1
    )
    held = Counter(a.stratum for a in a1 if a.arm == "holdout")
    assert held == {"new": 100, "mature": 100, "dormant": 100}
    assert {a.customer_id: a.arm for a in a1} == {a.customer_id: a.arm for a in a2}
    other = planning.assign_arms(ids, strata, campaign_code="OTHER", holdout_share=0.1)
    overlap = {a.customer_id for a in a1 if a.arm == "holdout"} & {
        a.customer_id for a in other if a.arm == "holdout"
    }
    assert len(overlap) < 60  # independent draws per campaign (~30 expected)


def test_variants_follow_their_weights() -> None:
    ids = [f"C{i:09d}" for i in range(4000)]
    arms = planning.assign_arms(
        ids,
        [None] * 4000,
        campaign_code="AB",
        holdout_share=0.0,
        variants=[{"name": "A", "weight": 3}, {"name": "B", "weight": 1}],
    )
    counts = Counter(a.variant for a in arms)
    assert 2850 < counts["A"] < 3150
    assert counts["A"] + counts["B"] == 4000


def test_channel_is_the_most_active_one_the_member_consented_to() -> None:
    p = {
        "most_active_channel": "miniprogram",
        "consent_wechat": True,
        "openid": "o1",
        "consent_sms": True,
        "phone": "+8613800000001",
    }
    assert planning.choose_channel(p, ["sms", "wechat"]) == ("wechat", "preferred")
    p["consent_wechat"] = False  # opted out: an opt-out always wins
    assert planning.choose_channel(p, ["sms", "wechat"]) == ("sms", "fallback")
    p["consent_sms"] = None  # unknown is not an opt-in
    channel, reason = planning.choose_channel(p, ["sms", "wechat"])
    assert channel is None
    assert "wechat:no-consent" in reason
    assert "sms:no-consent" in reason


def test_quiet_hours_move_the_send_to_the_morning() -> None:
    policy = planning.PressurePolicy()
    late = datetime(2026, 11, 22, 14, 30, tzinfo=UTC)  # 22:30 in Shanghai
    assert planning.next_send_time(late, policy) == datetime(2026, 11, 23, 1, 0, tzinfo=UTC)
    noon = datetime(2026, 11, 22, 4, 0, tzinfo=UTC)  # 12:00 in Shanghai
    assert planning.next_send_time(noon, policy) == noon
    early = datetime(2026, 11, 22, 23, 0, tzinfo=UTC)  # 07:00 next day in Shanghai
    assert planning.next_send_time(early, policy) == datetime(2026, 11, 23, 1, 0, tzinfo=UTC)


def test_frequency_caps() -> None:
    policy = planning.PressurePolicy(max_per_week=2, max_per_channel_per_day=1)
    assert planning.pressure_verdict(week_count=1, channel_today=0, policy=policy) is None
    assert "7 days" in str(planning.pressure_verdict(week_count=2, channel_today=0, policy=policy))
    assert "per day" in str(planning.pressure_verdict(week_count=0, channel_today=1, policy=policy))


def test_effect_intervals() -> None:
    e = proportion_effect(300, 1000, 200, 1000)
    assert e.significant
    assert e.ci_low < 0.1 < e.ci_high
    e0 = proportion_effect(200, 1000, 200, 1000)
    assert not e0.significant
    assert e0.lift == 0
    m = mean_effect([10.0, 12.0, 9.0, 11.0] * 50, [8.0, 9.0, 7.0, 8.0] * 50)
    assert m.significant
    assert abs(m.lift - 2.5) < 1e-9


def test_aa_test_flags_about_five_percent() -> None:
    out = aa_test(campaigns=1000, audience=2000, seed=11)
    assert 0.03 <= out["share_flagged"] <= 0.07, out
