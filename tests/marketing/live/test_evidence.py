"""Attribution through a session's codes and link parameters carried by the unified events:
orders reported with the session's 口令 or landing link (counted only as the unified orders
know them, paid), new members registering from the session, store visits with its code; the
overlap rule (code > link) and one session per order when several sightings carry evidence."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import duckdb

from omniretail.marketing.live.attribution import incremental
from omniretail.marketing.live.service import link_candidates
from omniretail.platform.engine import published_path
from omniretail.platform.timezone import to_wall_clock
from tests.marketing.coupon.factories import NOW

DY = {
    "code": "DY-1", "platform": "douyin", "account": "良品官方旗舰店", "host": "小雅",
    "title": "双十一预热", "started_at": (NOW - timedelta(hours=3)).isoformat(),
    "ended_at": (NOW - timedelta(hours=1)).isoformat(), "codes": ["DY1020"],
    "link_params": ["live_id=DY-1"], "cost_fen": 100_000,
}  # fmt: skip
KS = {**DY, "code": "KS-1", "platform": "kuaishou", "codes": ["KS1020"],
      "link_params": ["live_id=KS-1"], "title": "快手福利场",
      "started_at": (NOW - timedelta(hours=2)).isoformat()}  # fmt: skip


def _wall(hours: float) -> str:
    return str(to_wall_clock(NOW + timedelta(hours=hours)).replace(tzinfo=None))


def _snapshot(events: list[tuple[str, str, float, str | None, str | None, dict[str, Any]]],
              orders: list[tuple[str, str | None, float, float, str]]) -> None:  # fmt: skip
    path = published_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path))
    con.execute(
        "CREATE TABLE events (event_id VARCHAR, event_type VARCHAR, occurred_at TIMESTAMP, "
        "store_code VARCHAR, customer_id VARCHAR, properties JSON)"
    )
    for eid, kind, h, store, cust, props in events:
        con.execute(
            "INSERT INTO events VALUES (?, ?, CAST(? AS TIMESTAMP), ?, ?, ?)",
            [eid, kind, _wall(h), store, cust, json.dumps(props)],
        )
    con.execute(
        "CREATE TABLE orders (order_id VARCHAR, coupon_code VARCHAR, store_code VARCHAR, "
        "ordered_at TIMESTAMP, paid_amount DECIMAL(12,2), status VARCHAR)"
    )
    for oid, store, h, amount, status in orders:
        con.execute(
            "INSERT INTO orders VALUES (?, NULL, ?, CAST(? AS TIMESTAMP), ?, ?)",
            [oid, store, _wall(h), amount, status],
        )
    con.close()


def test_codes_and_links_in_events(client: Any) -> None:
    for s in (DY, KS):
        assert client.post("/api/v1/live/sessions", json=s).status_code == 201
    shop = "https://m.shop.example/item?utm_source=douyin&live_id=KS-1"
    _snapshot(
        events=[
            # O1: the 口令 of DY, reported twice (shop and mini-program): one order
            ("e1", "order_completed", 0, None, "C1", {"order_id": "O1", "live_code": "DY1020"}),
            ("e2", "order_completed", 0.1, None, "C1", {"order_id": "O1", "live_code": "DY1020"}),
            # O2: landed from KS's link, paid in a store
            ("e3", "order_completed", 1, "S001", "C2", {"order_id": "O2", "url": shop}),
            # O3: KS's link but DY's code: the code is stronger
            (
                "e4",
                "order_completed",
                1,
                None,
                "C3",
                {"order_id": "O3", "url": shop, "live_code": "DY1020"},
            ),
            # O4 refunded; O5 outside the 7-day window; O6 not in the unified orders
            ("e5", "order_completed", 1, None, "C4", {"order_id": "O4", "live_code": "DY1020"}),
            (
                "e6",
                "order_completed",
                24 * 9,
                None,
                "C5",
                {"order_id": "O5", "live_code": "DY1020"},
            ),
            ("e7", "order_completed", 1, None, "C6", {"order_id": "O6", "live_code": "KS1020"}),
            # registrations: C7 twice from KS's link (one new member), C8 without evidence
            ("e8", "signed_up", 0.5, None, "C7", {"search": "?live_id=KS-1"}),
            ("e9", "signed_up", 0.6, None, "C7", {"search": "?live_id=KS-1"}),
            ("e10", "signed_up", 0.5, None, "C8", {"search": "?from=poster"}),
            # store visits with DY's code; a page view with it is no visit
            ("e11", "store_checked_in", 20, "S001", "C1", {"live_code": "DY1020"}),
            ("e12", "store_visit", 30, "S002", None, {"live_code": "DY1020"}),
            ("e13", "page_view", 0, None, "C9", {"live_code": "DY1020"}),
            # before the session started: nothing
            ("e14", "store_visit", -5, "S001", None, {"live_code": "KS1020"}),
        ],
        orders=[
            ("O1", None, 0, 88.0, "paid"),
            ("O2", "S001", 1, 120.5, "paid"),
            ("O3", None, 1, 10.0, "paid"),
            ("O4", None, 1, 99.0, "refunded"),
            ("O5", None, 24 * 9, 99.0, "paid"),
        ],  # fmt: skip
    )
    r = client.get("/api/v1/live/figures")
    assert r.status_code == 200, r.text
    got = {f["session_id"]: f for f in r.json()}
    dy, ks = got["DY-1"], got["KS-1"]
    assert (dy["orders"], dy["online_orders"], dy["store_orders"], dy["gmv_fen"]) == (
        2, 2, 0, 9_800)  # fmt: skip
    assert (ks["orders"], ks["online_orders"], ks["store_orders"], ks["gmv_fen"]) == (
        1, 0, 1, 12_050)  # fmt: skip
    assert (dy["new_members"], ks["new_members"]) == (0, 1)
    assert (dy["store_visits"], ks["store_visits"]) == (2, 0)


def test_link_candidates() -> None:
    assert link_candidates({"url": "https://x.cn/p?live_id=A&utm_campaign=dy"}) == [
        "live_id=A", "A", "utm_campaign=dy", "dy"]  # fmt: skip
    assert link_candidates({"search": "?live_id=B", "live_id": "C"}) == [
        "live_id=B", "B", "live_id=C", "C"]  # fmt: skip
    assert link_candidates({"url": 3, "referrer": ""}) == []


def test_incremental_interval() -> None:
    e = incremental(50_000, [10_000, 12_000, 14_000], basis="matched_hours_online")
    assert e is not None
    assert (e.baseline_fen, e.effect_fen, e.windows) == (12_000, 38_000, 3)
    half = 4.302652729911275 * 2_000 * (4 / 3) ** 0.5  # t(0.975, 2) · sd · √(1 + 1/n)
    assert abs(e.low_fen - (38_000 - half)) < 1e-6
    assert abs(e.high_fen - (38_000 + half)) < 1e-6
    assert incremental(50_000, [10_000], basis="matched_hours_online") is None


def test_effect_against_matched_hours(client: Any) -> None:
    """DY's two hours against the same hours of the four weeks before: week 2 overlaps another
    Douyin session (left out), week 4 is before the first order (no data: left out); only the
    Douyin channel's orders count; the Kuaishou session has no channel of its own (online)."""
    dy = {**DY, "codes": [], "link_params": []}
    other = {**dy, "code": "DY-0", "started_at": (NOW - timedelta(weeks=2, hours=2)).isoformat(),
             "ended_at": (NOW - timedelta(weeks=2, hours=1)).isoformat()}  # fmt: skip
    for s in (dy, other):
        assert client.post("/api/v1/live/sessions", json=s).status_code == 201
    path = published_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path))
    con.execute(
        "CREATE TABLE dim_channel AS SELECT * FROM (VALUES ('DY', 'douyin'), ('MP', NULL)) "
        "t(channel_code, platform)"
    )
    con.execute(
        "CREATE TABLE orders (order_id VARCHAR, channel_code VARCHAR, store_code VARCHAR, "
        "ordered_at TIMESTAMP, paid_amount DECIMAL(12,2), status VARCHAR, coupon_code VARCHAR)"
    )
    rows = [  # (hours from NOW, channel, amount, status)
        (-2, "DY", 300.0, "paid"), (-1.5, "DY", 200.0, "paid"), (-2, "MP", 999.0, "paid"),
        (-2, "DY", 77.0, "refunded"),
        (-2 - 168, "DY", 100.0, "paid"),  # week 1: 100
        (-2 - 336, "DY", 900.0, "paid"),  # week 2: another session
        (-2 - 504, "DY", 140.0, "paid"), (-1.2 - 504, "DY", 20.0, "paid"),  # week 3: 160
        (-0.5 - 504, "DY", 5.0, "paid"),  # week 3, after the session's hours
        (-600, "DY", 1.0, "paid"),  # the first order: week 4 is before the data
    ]  # fmt: skip
    for i, (h, ch, amount, status) in enumerate(rows):
        con.execute(
            "INSERT INTO orders VALUES (?, ?, NULL, CAST(? AS TIMESTAMP), ?, ?, NULL)",
            [f"O{i}", ch, _wall(h), amount, status],
        )
    con.close()
    r = client.get("/api/v1/live/figures")
    assert r.status_code == 200, r.text
    e = {f["session_id"]: f["effect"] for f in r.json()}["DY-1"]
    assert e["basis"] == "matched_hours_platform"
    assert (e["observed_fen"], e["baseline_fen"], e["effect_fen"], e["windows"]) == (
        50_000, 13_000, 37_000, 2)  # fmt: skip
    assert e["low_fen"] < 37_000 < e["high_fen"]
    assert e["level"] == 0.95

    page = client.get("/live", headers={"accept-language": "zh-CN"})
    assert page.status_code == 200
    assert 'data-effect="37000"' in page.text
    assert "估计，非对照组" in page.text
    assert "无可比基线" in page.text  # DY-0: its matched weeks hold no data
