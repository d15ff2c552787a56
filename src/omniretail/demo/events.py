"""Behaviour events from the app and mini-program SDKs, Segment-like JSON lines: browsing,
add-to-cart, shares, referrals, coupon claims, store check-ins and group-buying."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from omniretail.demo.calendar import HOURS, N_DAYS, daily_weights
from omniretail.demo.context import ExtraIdentities, World
from omniretail.demo.exports_offline import group_assignments
from omniretail.demo.exports_private import miniprogram_order_no
from omniretail.demo.identities import Source, device_ids, find_in
from omniretail.demo.messy import masked_phones
from omniretail.demo.orders import draw_skus
from omniretail.demo.rand import Arr, uuids
from omniretail.demo.writers import timestamps, write_jsonl

SHARE_TARGETS = np.asarray(["wechat_friend", "wechat_moments", "wechat_group"])


class _Events:
    """Column buffers of the event log."""

    def __init__(self) -> None:
        self.cols: dict[str, list[Arr]] = {
            k: []
            for k in ("app", "rec", "day", "secs", "type", "event", "sku", "store", "coupon",
                      "group", "share", "referred", "order", "page", "anon_only")
        }  # fmt: skip

    def add(self, app: str, rec: Arr, day: Arr, secs: Arr, type_: str, event: str, **props: Arr) -> None:
        n = len(rec)
        self.cols["app"].append(np.full(n, app))
        self.cols["rec"].append(rec.astype(np.int64))
        self.cols["day"].append(np.clip(day, 0, N_DAYS - 1).astype(np.int32))
        self.cols["secs"].append(np.clip(secs, 0, 86399).astype(np.int64))
        self.cols["type"].append(np.full(n, type_))
        self.cols["event"].append(np.full(n, event))
        for k in ("sku", "store", "coupon", "group", "share", "referred", "order", "page"):
            v = props.get(k)
            self.cols[k].append(np.full(n, "") if v is None else v.astype(str))
        anon = props.get("anon_only")
        self.cols["anon_only"].append(np.zeros(n, bool) if anon is None else anon)

    def concat(self) -> dict[str, Arr]:
        return {k: np.concatenate(v) for k, v in self.cols.items()}


def _sessions(w: World, ev: _Events, rng: np.random.Generator, app: str, src: Source) -> None:
    """Browsing sessions of every member: a home page view, product views, adds, shares."""
    p = w.people
    rec = np.flatnonzero(src.person >= 0)
    person = src.person[rec]
    a = np.maximum(p.signup_day[person], 0)
    b = np.minimum(p.churn_day[person], N_DAYS) - 1
    span = np.maximum(b - a + 1, 1)
    k = rng.poisson(0.6 + p.orders_per_year[person] * span / 365.0 * 0.6)
    r = np.repeat(rec, k)
    pers = np.repeat(person, k)
    cdf = np.concatenate([[0.0], np.cumsum(daily_weights("private_online"))])
    lo, hi = cdf[np.repeat(a, k)], cdf[np.repeat(b, k) + 1]
    day = np.searchsorted(cdf, lo + rng.random(len(r)) * (hi - lo), side="right") - 1
    hours = np.asarray(HOURS["private_online"], float)
    secs = rng.choice(24, len(r), p=hours / hours.sum()) * 3600 + rng.integers(0, 3000, len(r))
    anon = rng.random(len(r)) < 0.2  # not logged in
    ev.add(app, r, day, secs, "page", "", page=np.full(len(r), "首页"), anon_only=anon)
    views = 1 + rng.poisson(1.5, len(r))
    s_idx = np.repeat(np.arange(len(r)), views)
    v_secs = secs[s_idx] + 20 + (np.arange(len(s_idx)) - np.repeat(np.cumsum(views) - views, views)) * 40
    sku = draw_skus(rng, p, w.products, pers[s_idx], day[s_idx])
    skus = w.col("products", "sku")
    ev.add(app, r[s_idx], day[s_idx], v_secs, "track", "Product Viewed", sku=skus[sku], anon_only=anon[s_idx])
    add = rng.random(len(s_idx)) < 0.1
    ev.add(app, r[s_idx][add], day[s_idx][add], v_secs[add] + 15, "track", "Product Added",
           sku=skus[sku[add]], anon_only=anon[s_idx][add])  # fmt: skip
    share = (rng.random(len(s_idx)) < 0.04) & ~anon[s_idx]
    ev.add(app, r[s_idx][share], day[s_idx][share], v_secs[share] + 25, "track", "Product Shared",
           sku=skus[sku[share]], share=SHARE_TARGETS[rng.integers(0, 3, int(share.sum()))])  # fmt: skip


def _order_events(w: World, ev: _Events, rng: np.random.Generator, app: str) -> None:
    """Views and adds before each order; the coupon claimed for it; the completed order."""
    cl = w.channel_lines(app)
    f = cl.first & (cl.record >= 0)
    rec, day, secs, sku = cl.record[f], cl.day[f], cl.secs[f], cl.sku[f]
    skus = w.col("products", "sku")
    lead = rng.integers(60, 1800, len(rec))
    ev.add(app, rec, day, secs - lead, "track", "Product Viewed", sku=skus[sku])
    ev.add(app, rec, day, secs - lead // 2, "track", "Product Added", sku=skus[sku])
    order_no = (
        miniprogram_order_no(day, cl.seq[f])
        if app == "miniprogram"
        else np.char.add("AP", np.char.zfill((cl.seq[f] + 1).astype(str), 10))
    )
    ev.add(app, rec, day, secs + 5, "track", "Order Completed", order=order_no)
    c = cl.coupon_value[f] > 0
    code = np.char.add("MC" if app == "miniprogram" else "AC", (cl.order[f][c] % 10**8).astype(str))
    ev.add(app, rec[c], day[c] - rng.integers(0, 10, int(c.sum())), rng.integers(8 * 3600, 23 * 3600, int(c.sum())),
           "track", "Coupon Claimed", coupon=code)  # fmt: skip


def _store_visits(w: World, ev: _Events, rng: np.random.Generator, mini: Source) -> None:
    """Check-ins at the store (扫码进店) of mini-program members, with and without a purchase."""
    cl = w.channel_lines("pos")
    f = cl.first
    person, day, secs, store = cl.person[f], cl.day[f], cl.secs[f], cl.store[f]
    rec = find_in(mini, person)
    m = (rec >= 0) & (rng.random(len(rec)) < 0.35)
    codes = w.col("stores", "store_code")
    ev.add("miniprogram", rec[m], day[m], secs[m] - rng.integers(120, 1200, int(m.sum())), "track",
           "Store Visited", store=codes[store[m]])  # fmt: skip
    extra = np.flatnonzero(m)[rng.random(int(m.sum())) < 0.4]
    shift = rng.integers(1, 40, len(extra))
    ev.add("miniprogram", rec[extra], day[extra] - shift, secs[extra], "track", "Store Visited",
           store=codes[w.people.home_store[person[extra]]])  # fmt: skip


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
    leader, group_no = group_assignments(w, cl)
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
    ev.add("miniprogram", lrec[ok], cl.day[first_idx][ok], np.full(int(ok.sum()), 8 * 3600), "track",
           "Group Buy Started", group=uniq[ok])  # fmt: skip


def write_events(w: World) -> None:
    rng = w.rng("events")
    ev = _Events()
    mini, app = w.sources["miniprogram"], w.sources["app"]
    _sessions(w, ev, rng, "miniprogram", mini)
    _sessions(w, ev, rng, "app", app)
    _order_events(w, ev, rng, "miniprogram")
    _order_events(w, ev, rng, "app")
    _store_visits(w, ev, rng, mini)
    _social(w, ev, rng, mini)
    c = ev.concat()
    is_mini = c["app"] == "miniprogram"
    dev_mini = device_ids(w.seed, "miniprogram", len(mini))
    dev_app = device_ids(w.seed, "app", len(app))
    anon_id = np.where(is_mini, dev_mini[np.where(is_mini, c["rec"], 0)], dev_app[np.where(is_mini, 0, c["rec"])])
    user = np.where(is_mini, mini.record_id[np.where(is_mini, c["rec"], 0)], app.record_id[np.where(is_mini, 0, c["rec"])])
    user = np.where(c["anon_only"], "", user)
    order = np.lexsort((np.arange(len(user)), c["secs"], c["day"]))
    n = len(order)
    ts = pc.strftime(timestamps(c["day"][order], c["secs"][order]), format="%Y-%m-%dT%H:%M:%S+08:00")

    def nz(key: str) -> pa.Array:
        v = c[key][order]
        return pa.array(v, mask=v == "")

    table = pa.table(
        {
            "messageId": uuids(rng, n),
            "type": c["type"][order],
            "event": nz("event"),
            "userId": pa.array(user[order], mask=user[order] == ""),
            "anonymousId": anon_id[order],
            "timestamp": ts,
            "app": c["app"][order],
            "sku": nz("sku"),
            "store_code": nz("store"),
            "coupon": nz("coupon"),
            "group_id": nz("group"),
            "share_target": nz("share"),
            "referred_phone_masked": nz("referred"),
            "order_id": nz("order"),
            "page": nz("page"),
        }
    )
    props = ", ".join(
        f"{{'k': '{k}', 'v': {k}}}"
        for k in ("sku", "store_code", "coupon", "group_id", "share_target",
                  "referred_phone_masked", "order_id")
    )  # fmt: skip
    select = f"""messageId, type, event, userId, anonymousId, timestamp,
        {{'app': app, 'library': CASE WHEN app = 'app' THEN 'analytics-ios' ELSE 'mp-sdk' END,
          'page': page}} AS context,
        map_from_entries(list_filter([{props}], lambda x: x.v IS NOT NULL)) AS properties"""
    rel = "exports/events/events.jsonl"
    w.record(rel, write_jsonl(table, w.path(rel), select=select))
    # every device seen is an identity record of the source "events"
    for name, src, dev in (("miniprogram", mini, dev_mini), ("app", app, dev_app)):
        seen = np.unique(c["rec"][c["app"] == name])
        w.extra.append(
            ExtraIdentities("events", dev[seen], src.person[seen], "device", np.zeros(len(seen), bool))
        )
