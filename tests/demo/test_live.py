"""The demo's live sessions: four platforms, coupons claimed in the streams and redeemed in
stores afterwards, attributed to their sessions; the note without an end flagged; a second
build adds nothing. The world's exports name the session of the orders each one brought
(tests/omnichannel/test_demo_instance.py checks them attributed end to end)."""

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
    assert built["sessions"] == 5
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
    assert figs["NOTE-XHS-1028"]["flag"] is None
    assert figs["NOTE-XHS-1028"]["coupons_claimed"] > 0
    unended = figs["NOTE-XHS-1105"]
    assert unended["flag"] == "no_end"
    assert unended["coupons_claimed"] == 0
    assert sum(f["coupons_redeemed_in_store"] for f in figs.values()) <= built["redeemed"]


def _lines(walls: list[str], status: list[int] | None = None) -> Any:
    """Channel lines, one order each, at these wall-clock times (paid unless ``status``)."""
    from types import SimpleNamespace

    import numpy as np

    from omniretail.demo.calendar import START

    t = np.asarray(walls, "datetime64[s]") - np.datetime64(str(START), "s")
    secs = t.astype(np.int64)
    n = len(walls)
    return SimpleNamespace(
        day=secs // 86400, secs=secs % 86400, seq=np.arange(n), first=np.ones(n, bool),
        status=np.asarray(status or [0] * n), record=np.arange(n),
    )  # fmt: skip


def test_platform_orders_name_the_live_room() -> None:
    """Douyin and Kuaishou export lines bought from a live room carry its id (the session's
    code) from the session's start to three days after its end (the chain's wall clock),
    which the demo mappings turn into the session's link parameter ``live_id=…``."""
    import numpy as np

    from omniretail.demo.live_orders import live_rooms

    walls = [
        "2026-10-20T18:59:59",  # before the stream (19:00-22:30 in Beijing)
        "2026-10-20T19:00:00",
        "2026-10-20T20:00:00",
        "2026-10-23T22:30:00",  # the end + 3 days
        "2026-10-23T22:30:01",
        "2026-10-21T12:00:00",  # not bought from the live room
    ]
    live = np.asarray([True, True, True, True, True, False])
    got = live_rooms(_lines(walls), "douyin", live).tolist()
    assert got == [None, "LIVE-DY-1020", "LIVE-DY-1020", "LIVE-DY-1020", None, None]
    assert live_rooms(_lines(walls), "kuaishou", live).tolist() == [None] * 6


def test_a_quiet_stream_still_names_its_first_orders() -> None:
    """A small world has few orders in a stream's days: under three paid live orders, the
    earliest other paid orders up to six days after the end (inside the attribution window)
    are the stream's too — never a cancelled one, never one before the start."""
    import numpy as np

    from omniretail.demo.live_orders import live_rooms

    walls = [
        "2026-10-20T18:00:00",  # before the start
        "2026-10-21T09:00:00",  # live, in the window
        "2026-10-22T10:00:00",  # cancelled
        "2026-10-25T10:00:00",  # paid, not live: topped up
        "2026-10-26T10:00:00",  # paid, not live: topped up
        "2026-10-26T22:20:00",  # a third one is not needed
        "2026-10-26T22:40:00",  # past end + 6 days (22:30)
    ]
    live = np.asarray([True, True, False, False, False, False, False])
    got = live_rooms(_lines(walls, [0, 0, 1, 0, 0, 0, 0]), "douyin", live).tolist()
    assert got == [None, "LIVE-DY-1020", None, "LIVE-DY-1020", "LIVE-DY-1020", None, None]
    # the note's orders: only where allowed (e.g. not sold by the 视频号 room already)
    allowed = np.asarray([True] * 7)
    allowed[3] = False
    got = live_rooms(_lines(walls, [0, 0, 1, 0, 0, 0, 0]), "douyin", live, allowed=allowed)
    assert got.tolist() == [None, "LIVE-DY-1020", None, None, "LIVE-DY-1020", "LIVE-DY-1020",
                            None]  # fmt: skip
