"""Behaviour events from the app and mini-program SDKs, Segment-like JSON lines: browsing,
add-to-cart, shares, referrals, coupon claims, store check-ins and group-buying."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from omniretail.demo.calendar import HOURS, N_DAYS, daily_weights
from omniretail.demo.context import ExtraIdentities, World
from omniretail.demo.exports_offline import group_assignments
from omniretail.demo.exports_private import miniprogram_live_rooms, miniprogram_order_no
from omniretail.demo.identities import Source, device_ids, find_in
from omniretail.demo.live_orders import NOTE_LEAD_SECS, SESSIONS, live_rooms, session_code
from omniretail.demo.messy import masked_phones
from omniretail.demo.orders import draw_skus
from omniretail.demo.rand import Arr, uuid_array
from omniretail.demo.writers import concat, json_escape, padded, ts_text, write_string_buffer

SHARE_TARGETS = np.asarray(["wechat_friend", "wechat_moments", "wechat_group"])


# property argument -> JSON key in ``properties``
PROPS = {"sku": "sku", "store": "store_code", "coupon": "coupon", "group": "group_id",
         "share": "share_target", "referred": "referred_phone_masked", "order": "order_id",
         "page": "name", "live": "live_code"}  # fmt: skip
CHUNK = 250_000


class _Events:
    """Column buffers of the event log. Each event's JSON fragments are rendered with Arrow string
    kernels from vocabularies (SKU codes, store codes ...), so there is no per-event Python work."""

    def __init__(self, w: World) -> None:
        self.vocab = {
            "sku": pa.array(w.col("products", "sku")),
            "store": pa.array(w.col("stores", "store_code")),
        }
        self.ints: dict[str, list[Arr]] = {
            k: [] for k in ("app", "rec", "day", "secs", "anon", "kind")
        }
        self.kinds: list[str] = []
        self.props: list[pa.Array] = []

    def add(
        self,
        app: str,
        rec: Arr,
        day: Arr,
        secs: Arr,
        type_: str,
        event: str | None,
        anon_only: Arr | None = None,
        **props: Arr | pa.Array,
    ) -> None:
        n = len(rec)
        ev = "null" if event is None else f'"{event}"'
        self.kinds.append(f'"type":"{type_}","event":{ev}')
        self.ints["kind"].append(np.full(n, len(self.kinds) - 1, np.int16))
        self.ints["app"].append(np.full(n, 0 if app == "miniprogram" else 1, np.int8))
        self.ints["rec"].append(rec.astype(np.int64))
        self.ints["day"].append(np.clip(day, 0, N_DAYS - 1).astype(np.int32))
        self.ints["secs"].append(np.clip(secs, 0, 86399).astype(np.int32))
        self.ints["anon"].append(np.zeros(n, bool) if anon_only is None else anon_only)
        parts: list[pa.Array | str] = []
        for k, key in PROPS.items():
            v = props.get(k)
            if v is None:
                continue
            if isinstance(v, pa.Array):
                text = v
            elif k in self.vocab:
                text = self.vocab[k].take(pa.array(v))
            else:
                text = pa.array(np.asarray(v).astype(str))
            parts += [("," if parts else "") + f'"{key}":"', json_escape(text), '"']
        self.props.append(concat("{", *parts, "}") if parts else pa.repeat(pa.scalar("{}"), n))

    def ints_concat(self) -> dict[str, Arr]:
        return {k: np.concatenate(v) for k, v in self.ints.items()}

    def props_concat(self) -> pa.Array:
        return pa.concat_arrays(self.props)


def _sessions(w: World, ev: _Events, rng: np.random.Generator, app: str, src: Source) -> None:
    """Browsing sessions of every member: a home page view, product views, adds, shares."""
    p = w.people
    rec = np.flatnonzero(src.person >= 0)
    person = src.person[rec]
    a = np.maximum(p.signup_day[person], 0)
    b = np.minimum(p.churn_day[person], N_DAYS) - 1
    span = np.maximum(b - a + 1, 1)
    k = rng.poisson(0.3 + p.orders_per_year[person] * span / 365.0 * 0.35)
    r = np.repeat(rec, k)
    pers = np.repeat(person, k)
    cdf = np.concatenate([[0.0], np.cumsum(daily_weights("private_online"))])
    lo, hi = cdf[np.repeat(a, k)], cdf[np.repeat(b, k) + 1]
    day = np.searchsorted(cdf, lo + rng.random(len(r)) * (hi - lo), side="right") - 1
    hours = np.asarray(HOURS["private_online"], float)
    secs = rng.choice(24, len(r), p=hours / hours.sum()) * 3600 + rng.integers(0, 3000, len(r))
    # not logged in: an app session before the member signs in. A mini-program always knows its
    # user's openid (wx.login is silent), so its sessions are never anonymous.
    anon = (rng.random(len(r)) < 0.2) & (app == "app")
    ev.add(app, r, day, secs, "page", None, page=np.full(len(r), "首页"), anon_only=anon)
    views = 1 + rng.poisson(1.5, len(r))
    s_idx = np.repeat(np.arange(len(r)), views)
    v_secs = (
        secs[s_idx] + 20 + (np.arange(len(s_idx)) - np.repeat(np.cumsum(views) - views, views)) * 40
    )
    sku = draw_skus(rng, p, w.products, pers[s_idx], day[s_idx])
    ev.add(
        app, r[s_idx], day[s_idx], v_secs, "track", "Product Viewed", sku=sku, anon_only=anon[s_idx]
    )
    add = rng.random(len(s_idx)) < 0.1
    ev.add(app, r[s_idx][add], day[s_idx][add], v_secs[add] + 15, "track", "Product Added",
           sku=sku[add], anon_only=anon[s_idx][add])  # fmt: skip
    share = (rng.random(len(s_idx)) < 0.04) & ~anon[s_idx]
    ev.add(app, r[s_idx][share], day[s_idx][share], v_secs[share] + 25, "track", "Product Shared",
           sku=sku[share], share=SHARE_TARGETS[rng.integers(0, 3, int(share.sum()))])  # fmt: skip


def _order_events(w: World, ev: _Events, rng: np.random.Generator, app: str) -> None:
    """Views and adds before each order; the coupon claimed for it; the completed order."""
    cl = w.channel_lines(app)
    f = cl.first & (cl.record >= 0)
    rec, day, secs, sku = cl.record[f], cl.day[f], cl.secs[f], cl.sku[f]
    lead = rng.integers(60, 1800, len(rec))
    ev.add(app, rec, day, secs - lead, "track", "Product Viewed", sku=sku)
    ev.add(app, rec, day, secs - lead // 2, "track", "Product Added", sku=sku)
    order_no = (
        miniprogram_order_no(day, cl.seq[f])
        if app == "miniprogram"
        else concat("AP", padded(cl.seq[f] + 1, 10))
    )
    ev.add(app, rec, day, secs + 5, "track", "Order Completed", order=order_no)
    c = cl.coupon_value[f] > 0
    code = np.char.add("MC" if app == "miniprogram" else "AC", (cl.order[f][c] % 10**8).astype(str))
    k = int(c.sum())
    c_day = np.maximum(day[c] - rng.integers(0, 10, k), 0)
    c_secs = rng.integers(8 * 3600, 23 * 3600, k)
    # a coupon claimed on the day of the order is claimed before the order's first view
    o_secs = secs[c] - lead[c] - 60
    c_secs = np.where((c_day == day[c]) & (c_secs > o_secs), np.maximum(o_secs, 0), c_secs)
    ev.add(app, rec[c], c_day, c_secs, "track", "Coupon Claimed", coupon=code)


def _store_visits(w: World, ev: _Events, rng: np.random.Generator, mini: Source) -> None:
    """Check-ins at the store (扫码进店) of mini-program members, with and without a purchase."""
    cl = w.channel_lines("pos")
    f = cl.first
    person, day, secs, store = cl.person[f], cl.day[f], cl.secs[f], cl.store[f]
    rec = find_in(mini, person)
    m = (rec >= 0) & (rng.random(len(rec)) < 0.35)
    ev.add("miniprogram", rec[m], day[m], secs[m] - rng.integers(120, 1200, int(m.sum())), "track",
           "Store Visited", store=store[m])  # fmt: skip
    extra = np.flatnonzero(m)[rng.random(int(m.sum())) < 0.4]
    shift = rng.integers(1, 40, len(extra))
    ev.add("miniprogram", rec[extra], day[extra] - shift, secs[extra], "track", "Store Visited",
           store=w.people.home_store[person[extra]])  # fmt: skip


def _social(w: World, ev: _Events, rng: np.random.Generator, mini: Source) -> None:
    """Referrals to friends and community group-buying (团长 start, 团员 join)."""
    p = w.people
    rec = np.flatnonzero(mini.person >= 0)
    refer = rec[rng.random(len(rec)) < 0.04]
    friend = rng.integers(0, p.n, len(refer))
    day = rng.integers(0, N_DAYS, len(refer))
    ev.add("miniprogram", refer, day, rng.integers(9 * 3600, 23 * 3600, len(refer)), "track",
           "Referral Sent", referred=masked_phones(p.phone[friend], "mid4"))  # fmt: skip
    cl = w.channel_lines("groupbuy")
    if len(cl.order) == 0:
        return
    leader, group_arr = group_assignments(w, cl)
    group_no = np.asarray(group_arr.to_numpy(zero_copy_only=False)).astype(str)
    gsrc = w.sources["groupbuy"]
    f = cl.first
    joiner = find_in(mini, cl.person[f])
    j = joiner >= 0
    ev.add("miniprogram", joiner[j], cl.day[f][j], cl.secs[f][j] - 30, "track", "Group Buy Joined",
           group=group_no[f][j])  # fmt: skip
    uniq, first_idx = np.unique(group_no, return_index=True)
    lead_person = gsrc.person[leader[first_idx]]
    lrec = find_in(mini, np.maximum(lead_person, 0))
    ok = (lrec >= 0) & (lead_person >= 0)
    start = np.full(int(ok.sum()), 8 * 3600)
    ev.add("miniprogram", lrec[ok], cl.day[first_idx][ok], start, "track",
           "Group Buy Started", group=uniq[ok])  # fmt: skip


def _note_landings(w: World, ev: _Events) -> None:
    """The Xiaohongshu note's readers typing its 口令 in the mini-program (a page view carrying
    ``live_code``) some minutes before their order: the note's landings, whose orders the
    landing-then-order rule gives it. Not the orders the 视频号 live room sold already."""
    cl = w.channel_lines("miniprogram")
    if len(cl.seq) == 0:
        return
    free = (cl.record >= 0) & (miniprogram_live_rooms(w, cl) == None)  # noqa: E711
    rng = w.rng("events:note")
    read = rng.random(int(cl.seq.max()) + 1)[cl.seq] < 0.3
    note = live_rooms(cl, "xiaohongshu", read, allowed=free, delay_secs=NOTE_LEAD_SECS[1])
    codes = {c: session_code(c, start) for c, *_rest, start, _h, _v, _cost in SESSIONS}
    f = np.flatnonzero(cl.first & (note != None))  # noqa: E711
    if len(f) == 0:
        return
    lead = rng.integers(*NOTE_LEAD_SECS, len(f))
    typed = np.asarray([codes[c] for c in note[f]])
    ev.add("miniprogram", cl.record[f], cl.day[f], cl.secs[f] - lead, "page", None,
           page=np.full(len(f), "笔记口令"), live=typed)  # fmt: skip


def write_events(w: World) -> None:
    rng = w.rng("events")
    ev = _Events(w)
    mini, app = w.sources["miniprogram"], w.sources["app"]
    _sessions(w, ev, rng, "miniprogram", mini)
    _sessions(w, ev, rng, "app", app)
    _order_events(w, ev, rng, "miniprogram")
    _order_events(w, ev, rng, "app")
    _store_visits(w, ev, rng, mini)
    _social(w, ev, rng, mini)
    _note_landings(w, ev)
    c = ev.ints_concat()
    n = len(c["day"])
    order = np.lexsort((np.arange(n), c["secs"], c["day"]))
    props = ev.props_concat()
    kinds = pa.array(ev.kinds)
    dev_mini = device_ids(w.seed, "miniprogram", len(mini))
    dev_app = device_ids(w.seed, "app", len(app))
    # userId / anonymousId from the two sources' vocabularies (app records after mini ones)
    users = concat('"', pa.concat_arrays([pa.array(mini.record_id), pa.array(app.record_id)]), '"')
    devices = pa.concat_arrays([pa.array(dev_mini), pa.array(dev_app)])
    contexts = pa.array(
        ['{"app":"miniprogram","library":"mp-sdk"}', '{"app":"app","library":"analytics-ios"}']
    )
    rel = "exports/events/events.jsonl"
    path = w.path(rel)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as fh:
        for lo in range(0, n, CHUNK):
            o = order[lo : lo + CHUNK]
            is_app = c["app"][o]
            key = pa.array(np.where(is_app == 1, c["rec"][o] + len(mini), c["rec"][o]))
            user = pc.if_else(pa.array(c["anon"][o]), "null", users.take(key))
            ts = ts_text(c["day"][o], c["secs"][o], sep="T", suffix="+08:00")
            line = concat(
                '{"messageId":"', uuid_array(rng, len(o)), '",', kinds.take(pa.array(c["kind"][o])),
                ',"userId":', user, ',"anonymousId":"', devices.take(key), '","timestamp":"', ts,
                '","context":', contexts.take(pa.array(is_app)), ',"properties":',
                props.take(pa.array(o)), "}\n",
            )  # fmt: skip
            write_string_buffer(fh, line)
    w.record(rel, n)
    # every device seen is an identity record of the source "events"
    for name, src, dev in (("miniprogram", mini, dev_mini), ("app", app, dev_app)):
        seen = np.unique(c["rec"][c["app"] == (0 if name == "miniprogram" else 1)])
        w.extra.append(
            ExtraIdentities(
                "events", dev[seen], src.person[seen], "device", np.zeros(len(seen), bool)
            )
        )
