"""The live-session attribution rule: every touch to at most one session, the same answer for
the same input in any order (replay), the documented overlap order, and sessions without an
end flagged and claiming nothing."""

from __future__ import annotations

from datetime import datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from omniretail.marketing.live.attribution import Rule, Session, Touch, figures, unique_touches

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


landings_st = st.lists(
    st.builds(
        lambda ref, h, cust, code, link: Touch(
            "landing",
            f"v{ref}",
            T0 + timedelta(hours=h),
            code=code,
            link_param=link,
            customer_id=cust,
        ),  # fmt: skip
        st.integers(0, 30),
        st.integers(-10, 400),
        st.sampled_from(["C1", "C2", "C3"]),
        st.one_of(st.none(), st.sampled_from(CODES)),
        st.one_of(st.none(), st.sampled_from([f"live_{c}" for c in CODES])),
    ),
    max_size=25,
)
orders_st = st.lists(
    st.builds(
        lambda ref, h, cust, code: Touch(
            "order",
            f"o{ref}",
            T0 + timedelta(hours=h),
            code=code,
            customer_id=cust,
            amount_fen=100,
        ),  # fmt: skip
        st.integers(0, 30),
        st.integers(-10, 700),
        st.one_of(st.none(), st.sampled_from(["C1", "C2", "C3"])),
        st.one_of(st.none(), st.none(), st.none(), st.sampled_from(CODES)),
    ),
    max_size=25,
)


@settings(max_examples=150, deadline=None)
@given(sessions_st, landings_st, orders_st, st.integers(0, 240), st.randoms(use_true_random=False))
def test_landing_then_order_last_touch_at_most_one_session(  # type: ignore[no-untyped-def]
    raw, landings, orders, window_h, rnd
) -> None:
    sessions = [_session(i, *r) for i, r in enumerate(raw)]
    rule = Rule(landing_window=timedelta(hours=window_h))
    done = rule.attribute(sessions, [*landings, *orders])
    keys = [(a.kind, a.ref) for a in done]
    assert len(keys) == len(set(keys))  # every order (and landing) to at most one session
    mixed = [*landings, *orders]
    rnd.shuffle(mixed)
    shuffled = list(sessions)
    rnd.shuffle(shuffled)
    assert Rule(landing_window=timedelta(hours=window_h)).attribute(shuffled, mixed) == done
    # the orders' own evidence first: what it claims does not change with the landings
    direct = {(a.kind, a.ref): a for a in Rule().attribute(sessions, orders)}
    merged = {(t.kind, t.ref): t for t in unique_touches([*landings, *orders])}
    landed = [(merged[(a.kind, a.ref)], a.session_id) for a in done if a.kind == "landing"]
    for a in done:
        if a.kind != "order":
            continue
        if (a.kind, a.ref) in direct:
            assert a == direct[(a.kind, a.ref)]
            continue
        assert a.evidence == "landing"
        o = merged[(a.kind, a.ref)]
        # brute force: the customer's latest landing before the order within the window
        cands = [
            (lt.at, sid)
            for lt, sid in landed
            if lt.customer_id == o.customer_id
            and lt.at <= o.at <= lt.at + timedelta(hours=window_h)
        ]
        best_at = max(at for at, _ in cands)
        assert a.session_id == min(sid for at, sid in cands if at == best_at)
    # and an unclaimed order with such a landing is never left out
    got = {a.ref for a in done if a.kind == "order"}
    for o in merged.values():
        if o.kind != "order" or o.ref in got or o.customer_id is None:
            continue
        assert not any(
            lt.customer_id == o.customer_id and lt.at <= o.at <= lt.at + timedelta(hours=window_h)
            for lt, _ in landed
        )


def test_landing_then_order_rule() -> None:
    a = _session(1, 0, 2, "A", "B1")  # 20:00-22:00
    b = _session(2, 1, 2, "B", "B2")  # 21:00-23:00
    touches = [
        Touch("landing", "v1", T0 + timedelta(hours=1), link_param="live_A", customer_id="C1"),
        Touch("landing", "v2", T0 + timedelta(hours=2), code="B", customer_id="C1"),
        Touch("landing", "v3", T0 + timedelta(hours=1), link_param="live_A", customer_id="C2"),
        # C1 ordered the next day without a code: the last landing (b) wins
        Touch("order", "o1", T0 + timedelta(days=1), customer_id="C1", amount_fen=3_000),
        # C1's order with a's code: its own evidence beats the landing
        Touch("order", "o2", T0 + timedelta(days=1), code="A", customer_id="C1"),
        # C2 ordered 8 days after landing: past the default 7-day window
        Touch("order", "o3", T0 + timedelta(days=8), customer_id="C2"),
        # C2's order before the landing: nothing
        Touch("order", "o4", T0, customer_id="C2"),
    ]
    got = {x.ref: (x.session_id, x.evidence) for x in Rule().attribute([a, b], touches)}
    assert got == {
        "v1": ("L01", "link"),
        "v2": ("L02", "code"),
        "v3": ("L01", "link"),
        "o1": ("L02", "landing"),
        "o2": ("L01", "code"),
    }
    wider = Rule(landing_window=timedelta(days=10)).attribute([a, b], touches)
    assert {x.ref: x.session_id for x in wider}["o3"] == "L01"
    figs = {f.session_id: f for f in figures([a, b], touches)}
    assert (figs["L02"].orders, figs["L02"].gmv_fen) == (1, 3_000)
