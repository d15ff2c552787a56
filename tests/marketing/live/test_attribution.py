"""The live-session attribution rule: every touch to at most one session, the same answer for
the same input in any order (replay), the documented overlap order, and sessions without an
end flagged and claiming nothing."""

from __future__ import annotations

from datetime import datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from omniretail.marketing.live.attribution import Rule, Session, Touch, figures

T0 = datetime(2026, 10, 1, 20, 0)
CODES = ["A", "B", "C"]


def _session(i: int, start_h: int, hours: int | None, code: str, batch: str) -> Session:
    start = T0 + timedelta(hours=start_h)
    return Session(
        session_id=f"L{i:02d}",
        platform=["douyin", "kuaishou", "channels"][i % 3],
        account="官方旗舰",
        start=start,
        end=None if hours is None else start + timedelta(hours=hours),
        codes=frozenset({code}),
        link_params=frozenset({f"live_{code}"}),
        coupon_batches=frozenset({batch}),
    )


sessions_st = st.lists(
    st.builds(
        lambda start_h, hours, code, batch: (start_h, hours, code, batch),
        st.integers(0, 200),
        st.one_of(st.none(), st.integers(-2, 6)),
        st.sampled_from(CODES),
        st.sampled_from(["B1", "B2"]),
    ),
    max_size=6,
)
touches_st = st.lists(
    st.builds(
        Touch,
        kind=st.sampled_from(["order", "coupon_claim", "coupon_redemption", "new_member"]),
        ref=st.integers(0, 40).map(str),
        at=st.integers(-10, 1500).map(lambda h: T0 + timedelta(hours=h)),
        code=st.one_of(st.none(), st.sampled_from(CODES)),
        link_param=st.one_of(st.none(), st.sampled_from([f"live_{c}" for c in CODES])),
        coupon_batch=st.one_of(st.none(), st.sampled_from(["B1", "B2"])),
        amount_fen=st.integers(0, 100_000),
        online=st.booleans(),
    ),
    max_size=40,
)


@settings(max_examples=120, deadline=None)
@given(sessions_st, touches_st, st.randoms(use_true_random=False))
def test_each_touch_at_most_once_and_replay_identical(raw, touches, rnd) -> None:  # type: ignore[no-untyped-def]
    sessions = [_session(i, *r) for i, r in enumerate(raw)]
    first = Rule().attribute(sessions, touches)
    keys = [(a.kind, a.ref) for a in first]
    assert len(keys) == len(set(keys))  # at most one session per touch (a ref seen twice: once)
    shuffled_s, shuffled_t = list(sessions), list(touches)
    rnd.shuffle(shuffled_s)
    rnd.shuffle(shuffled_t)
    assert Rule().attribute(shuffled_s, shuffled_t) == first  # replay: identical
    by_id = {s.session_id: s for s in sessions}
    for a in first:
        s = by_id[a.session_id]
        assert s.end is not None
        assert s.end >= s.start  # flagged sessions claim nothing
        # a touch seen several times: the winning evidence was carried by one of its sightings
        sightings = [t for t in touches if (t.kind, t.ref) == (a.kind, a.ref)]
        value = {"code": s.codes, "link": s.link_params, "coupon_batch": s.coupon_batches}
        field = {"code": "code", "link": "link_param", "coupon_batch": "coupon_batch"}
        assert any(getattr(t, field[a.evidence]) in value[a.evidence] for t in sightings)


def test_overlap_order_and_flags() -> None:
    a = _session(1, 0, 2, "A", "B1")  # 20:00-22:00
    b = _session(2, 1, 2, "B", "B1")  # 21:00-23:00, same coupon batch
    c = _session(3, 0, 2, "A", "B2")  # same code as a, same start: the smaller id wins
    open_ended = _session(4, 0, None, "C", "B2")
    at = T0 + timedelta(hours=3)
    touches = [
        Touch("order", "o1", at, coupon_batch="B1", amount_fen=10_000, online=False),
        Touch("order", "o2", at, code="B", coupon_batch="B1", amount_fen=5_000),
        Touch("order", "o3", at, link_param="live_B", code="A", amount_fen=7_000),
        Touch("order", "o4", at, code="C", amount_fen=1_000),  # only the open-ended session
        Touch(
            "coupon_redemption", "c1", T0 + timedelta(days=20), coupon_batch="B1", online=False
        ),  # fmt: skip
        Touch("order", "o5", T0 + timedelta(days=20), coupon_batch="B1"),  # past 7 days
        Touch("order", "o6", T0 - timedelta(minutes=1), code="A"),  # before the start
    ]
    rule = Rule()
    done = rule.attribute([a, b, c, open_ended], touches)
    got = {x.ref: (x.session_id, x.evidence) for x in done}
    assert got == {
        "o1": ("L02", "coupon_batch"),  # both batches match: the later start wins
        "o2": ("L02", "code"),
        "o3": ("L01", "code"),  # code beats link; L01 and L03 tie: the smaller id
        "c1": ("L02", "coupon_batch"),  # redemptions: 30 days
    }
    assert rule.flags == {"L04": "no_end"}
    figs = {f.session_id: f for f in figures([a, b, c, open_ended], touches,
                                               viewers={"L02": 1200})}  # fmt: skip
    assert figs["L02"].orders == 2
    assert figs["L02"].gmv_fen == 15_000
    assert figs["L02"].store_orders == 1
    assert figs["L02"].coupons_redeemed_in_store == 1
    assert figs["L02"].viewers == 1200
    assert figs["L04"].flag == "no_end"
    assert figs["L04"].orders == 0
