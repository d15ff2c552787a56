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


def test_platform_orders_name_the_live_room() -> None:
    """Douyin and Kuaishou export lines bought from a live room carry its id (the session's
    code) from the session's start to three days after its end (the chain's wall clock),
    which the demo mappings turn into the session's link parameter ``live_id=…``."""
    from types import SimpleNamespace

    import numpy as np

    from omniretail.demo.calendar import START
    from omniretail.demo.exports_platforms import _live_room

    def line(wall: str) -> tuple[int, int]:
        t = np.datetime64(wall, "s") - np.datetime64(str(START), "s")
        secs = int(t.astype(np.int64))
        return secs // 86400, secs % 86400

    walls = [
        "2026-10-20 18:59:59",  # before the stream (19:00-22:30 in Beijing)
        "2026-10-20 19:00:00",
        "2026-10-23 22:30:00",  # the end + 3 days
        "2026-10-23 22:30:01",
        "2026-10-21 12:00:00",  # not bought from the live room
    ]
    days, secs = zip(*(line(w) for w in walls), strict=True)
    cl = SimpleNamespace(day=np.asarray(days), secs=np.asarray(secs))
    live = np.asarray([True, True, True, True, False])
    got = _live_room(cl, "douyin", live).to_pylist()  # type: ignore[arg-type]
    assert got == [None, "LIVE-DY-1020", "LIVE-DY-1020", None, None]
    assert _live_room(cl, "kuaishou", live).to_pylist() == [None] * 5  # type: ignore[arg-type]
