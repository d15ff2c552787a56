"""What each live session brought, from the real coupon ledger and the published snapshot's
orders: coupons claimed and redeemed in stores, orders and GMV paid with the session's coupons,
a session without an end claiming nothing, the platforms compared; the console page."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import duckdb

from omniretail.marketing.coupon import redemption
from omniretail.marketing.coupon import service as coupon_service
from omniretail.platform.db import session_scope
from omniretail.platform.engine import published_path
from omniretail.platform.timezone import to_wall_clock
from tests.marketing.coupon.factories import NOW, basket, template

DY = {
    "code": "DY-1", "platform": "douyin", "account": "良品官方旗舰店", "host": "小雅",
    "title": "618 预热专场", "started_at": (NOW - timedelta(hours=2)).isoformat(),
    "ended_at": NOW.isoformat(), "coupon_batches": ["LIVE-DY"], "cost_fen": 300_000,
}  # fmt: skip
KS = {**DY, "code": "KS-1", "platform": "kuaishou", "ended_at": None,
      "coupon_batches": ["LIVE-KS"], "title": "快手福利场"}  # fmt: skip


def _world(client: Any) -> list[str]:
    for s in (DY, KS):
        assert client.post("/api/v1/live/sessions", json=s).status_code == 201
    client.post(
        "/api/v1/live/viewers",
        content="场次编码,观看人数,点赞,评论,分享,新增关注\nDY-1,2000,300,40,60,25\nKS-1,500,,,,\n".encode(),
        headers={"content-type": "text/csv"},
    )
    with session_scope() as s:
        template(s, "LIVE-DY", redeem_limit=100)
        template(s, "LIVE-KS", redeem_limit=100)
        template(s, "OTHER", redeem_limit=100)
        at = NOW - timedelta(minutes=30)
        dy = [
            coupon_service.issue(s, template_code="LIVE-DY", customer_id=f"C{i:09d}", now=at).code
            for i in range(3)
        ]
        ks = coupon_service.issue(s, template_code="LIVE-KS", customer_id="C000000009", now=at).code
        other = coupon_service.issue(
            s, template_code="OTHER", customer_id="C000000008", now=at
        ).code
        later = NOW + timedelta(days=3)  # in a store three days later: within 30 days
        redemption.redeem(s, code=dy[0], order_id="POS-1", basket=basket("C000000000"), now=later)
        redemption.redeem(
            s, code=dy[1], order_id="MP-1", basket=basket("C000000001", store=None), now=later
        )
        redemption.redeem(s, code=ks, order_id="POS-2", basket=basket("C000000009"), now=later)
        redemption.redeem(s, code=other, order_id="POS-3", basket=basket("C000000008"),
                          now=later)  # fmt: skip
    # the unified orders of the published snapshot (wall-clock times, as the pipeline writes)
    path = published_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path))
    when = to_wall_clock(NOW + timedelta(days=3)).replace(tzinfo=None)
    con.execute(
        "CREATE TABLE orders AS SELECT * FROM (VALUES "
        f"('POS-1', '{dy[0]}', 'S001', TIMESTAMP '{when}', 110.00, 'paid'), "
        f"('MP-1', '{dy[1]}', NULL, TIMESTAMP '{when}', 110.00, 'paid'), "
        f"('POS-2', '{ks}', 'S001', TIMESTAMP '{when}', 99.00, 'paid'), "
        f"('POS-3', '{other}', 'S001', TIMESTAMP '{when}', 50.00, 'paid')"
        ") t(order_id, coupon_code, store_code, ordered_at, paid_amount, status)"
    )
    con.close()
    return dy


def test_session_figures_platforms_and_page(client: Any) -> None:
    _world(client)
    r = client.get("/api/v1/live/figures")
    assert r.status_code == 200, r.text
    got = {f["session_id"]: f for f in r.json()}
    dy = got["DY-1"]
    assert (dy["viewers"], dy["coupons_claimed"], dy["coupons_redeemed_in_store"]) == (2000, 3, 1)
    assert (dy["orders"], dy["store_orders"], dy["online_orders"]) == (2, 1, 1)
    assert dy["gmv_fen"] == 22_000
    ks = got["KS-1"]
    assert ks["flag"] == "no_end"
    assert (ks["orders"], ks["coupons_claimed"], ks["gmv_fen"]) == (0, 0, 0)

    r = client.get("/api/v1/live/platforms")
    assert r.status_code == 200, r.text
    rows = {p["platform"]: p for p in r.json()}
    assert rows["douyin"]["conversion"] == 2 / 2000
    assert rows["douyin"]["cost_per_order_fen"] == 150_000
    assert rows["kuaishou"]["orders"] == 0
    # engagement from the platform's export: likes + comments + shares per viewer
    assert (rows["douyin"]["engagements"], rows["douyin"]["new_followers"]) == (400, 25)
    assert rows["douyin"]["engagement_rate"] == 400 / 2000
    assert rows["kuaishou"]["engagements"] == 0
    assert all(p["period"] is None for p in rows.values())
    # over time: per month of the sessions' start, in the chain's time
    r = client.get("/api/v1/live/platforms", params={"by": "month"})
    assert r.status_code == 200, r.text
    month = f"{to_wall_clock(NOW - timedelta(hours=2)):%Y-%m}"
    assert [(p["period"], p["platform"]) for p in r.json()] == [
        (month, "douyin"), (month, "kuaishou")]  # fmt: skip
    assert client.get("/api/v1/live/platforms", params={"by": "week"}).status_code == 422

    page = client.get("/live", headers={"accept-language": "zh-CN"})
    assert page.status_code == 200
    for word in (
        "直播与内容",
        "618 预热专场",
        "抖音",
        "快手",
        "缺少结束时间，未归因",
        "平台与账号对比",
        "平台与账号逐月对比",
        "人均互动（次）",  # not a percentage: a viewer can like many times
        "<td data-engagement>0.20</td>",  # the Douyin account's interactions per viewer
    ):
        assert word in page.text, word
    # the start in the chain's local time, as every console page shows times (not UTC)
    started = to_wall_clock(NOW - timedelta(hours=2))
    assert f"{started:%Y-%m-%d}<br>{started:%H:%M}" in page.text
