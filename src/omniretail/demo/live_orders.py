"""The demo's live sessions and content pieces, and which orders of the world each one brought
(generator 6). The world's exports carry the evidence the attribution rule reads
(docs/live.md), so every session's orders and GMV come from the pipeline's unified orders:

- Douyin and Kuaishou: the live room (``直播间ID``) of the platform's order lines;
- the 视频号 store stream: the mini-program orders placed from its live room (``liveId``; a
  视频号 live room sells through the chain's mini-program);
- the Xiaohongshu note: the note's 口令 typed in the mini-program (a page view carrying
  ``live_code``, a *landing*) shortly before the customer's order — the landing-then-order rule.

A session's orders are the channel's paid orders with live traffic from its start to
``LIVE_TAIL_DAYS`` after its end (replay, cart); where that finds fewer than ``LEAST_ORDERS``
(a small world has few orders in a few days), the earliest other paid orders up to
``TOPUP_DAYS`` after its end, still inside the attribution window, are the stream's too. A
session without an end brings nothing (the console flags it)."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np

from omniretail.demo.calendar import START
from omniretail.demo.context import ChannelLines
from omniretail.demo.rand import Arr

# code, platform, account, host, title, start (UTC), hours (None: no end), viewers, cost (yuan)
SESSIONS = [
    ("LIVE-DY-1020", "douyin", "良品铺子官方旗舰店", "小雅", "双十一预热零食专场",
     datetime(2026, 10, 20, 11, 0, tzinfo=UTC), 3.5, 48_200, 18_000),
    ("LIVE-KS-1024", "kuaishou", "良品铺子快手店", "阿杰", "周末囤货福利场",
     datetime(2026, 10, 24, 12, 0, tzinfo=UTC), 3.0, 21_500, 9_000),
    ("LIVE-SPH-1027", "channels", "良品铺子视频号", "店长小林", "门店直播：新品试吃",
     datetime(2026, 10, 27, 11, 30, tzinfo=UTC), 2.0, 6_800, 2_000),
    # a note's "end" is the end of its paid promotion (薯条 boost): seven days
    ("NOTE-XHS-1028", "xiaohongshu", "良品铺子", None, "秋冬零食清单（笔记）",
     datetime(2026, 10, 28, 2, 0, tzinfo=UTC), 7 * 24.0, 12_900, 5_000),
    # recorded without an end: flagged no_end, it claims nothing
    ("NOTE-XHS-1105", "xiaohongshu", "良品铺子", None, "办公室囤货清单（笔记）",
     datetime(2026, 11, 5, 2, 0, tzinfo=UTC), None, 3_400, 1_200),
]  # fmt: skip

LIVE_TAIL_DAYS = 3  # a live room's orders: during the stream and the next days (replay, cart)
LEAST_ORDERS = 3
TOPUP_DAYS = 6  # < the attribution window (7 days after the end)
NOTE_LEAD_SECS = (600, 3000)  # the note's 口令 typed this long before the order


def session_code(code: str, start: datetime) -> str:
    """The session's 口令 / 直播间专属码: ``LIVE-DY-1020`` started 10-20 → ``DY1020``."""
    return code.split("-")[1] + start.strftime("%m%d")


def line_times(cl: ChannelLines) -> Arr:
    """Each line's order time, the chain's wall clock (datetime64[s])."""
    secs = cl.day.astype(np.int64) * 86400 + cl.secs.astype(np.int64)
    return np.datetime64(str(START), "s") + secs.astype("timedelta64[s]")


def live_rooms(
    cl: ChannelLines,
    platform: str,
    live: Arr,
    *,
    allowed: Arr | None = None,
    delay_secs: int = 0,
) -> Arr:
    """Per line the code of the ``platform`` session that brought its order, or None.

    ``live``: lines with live traffic (whole orders); ``allowed``: lines that may be chosen at
    all (default every line); ``delay_secs``: an order counts only this long after the start."""
    from omniretail.platform.timezone import to_wall_clock

    t = line_times(cl)
    out = np.full(len(t), None, dtype=object)
    ok = np.ones(len(t), bool) if allowed is None else np.asarray(allowed, bool)
    paid_first = cl.first & (cl.status == 0)
    for code, plat, _acc, _host, _title, start, hours, *_ in SESSIONS:
        if plat != platform or hours is None:
            continue
        s = np.datetime64(to_wall_clock(start), "s") + np.timedelta64(delay_secs, "s")
        e = np.datetime64(to_wall_clock(start), "s") + np.timedelta64(int(hours * 3600), "s")
        free = ok & (out == None)  # noqa: E711 (element-wise)
        hit = free & live & (t >= s) & (t <= e + np.timedelta64(LIVE_TAIL_DAYS, "D"))
        short = LEAST_ORDERS - int((hit & paid_first).sum())
        if short > 0:
            more = free & ~hit & paid_first & (t >= s) & (t <= e + np.timedelta64(TOPUP_DAYS, "D"))
            idx = np.flatnonzero(more)
            idx = idx[np.argsort(t[idx], kind="stable")][:short]
            hit |= np.isin(cl.seq, cl.seq[idx]) & free
        out[hit] = code
    return out
