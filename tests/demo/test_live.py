"""The demo's live sessions: four platforms, coupons claimed in the streams and redeemed in
stores afterwards, attributed to their sessions; the note without an end flagged; a second
build adds nothing."""

from __future__ import annotations

from typing import Any

from omniretail.cdp.profile import service as profile_service
from omniretail.cdp.profile.models import Customer
from omniretail.demo import live
from omniretail.marketing.live import service as live_service
from omniretail.omnichannel.store import service as store_service
from omniretail.omnichannel.store.schemas import StoreCreate
from omniretail.platform.db import session_scope


def test_demo_sessions(client: Any) -> None:
    with session_scope() as s:
        store_service.create_store(s, data=StoreCreate(code="S0001", name="武汉江汉路店"))
        s.add_all(Customer(customer_id=f"C{i:09d}", status="active") for i in range(300))
    with session_scope() as s:
        assert len(profile_service.sample_customer_ids(s, limit=400)) == 300
    with session_scope() as s:
        built = live.build(s, seed=7)
    assert built["sessions"] == 4
    assert built["redeemed"] > 0
    with session_scope() as s:
        assert live.build(s, seed=7)["sessions"] == 0  # idempotent
        figs = {f["session_id"]: f for f in live_service.session_figures(s)}
    assert {f["platform"] for f in figs.values()} == {"douyin", "kuaishou", "channels",
                                                      "xiaohongshu"}  # fmt: skip
    dy = figs["LIVE-DY-1020"]
    assert dy["viewers"] == 48_200
    assert dy["coupons_claimed"] > 0
    assert dy["coupons_redeemed_in_store"] > 0
    xhs = figs["NOTE-XHS-1028"]
    assert xhs["flag"] == "no_end"
    assert xhs["coupons_claimed"] == 0
    assert sum(f["coupons_redeemed_in_store"] for f in figs.values()) <= built["redeemed"]
