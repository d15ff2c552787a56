"""Orders and order lines: who buys what, where and when, drawn from the personas (vectorised)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from omniretail.demo.calendar import CHANNEL_GROUP, DAYS, HOURS, N_DAYS, daily_weights, promo_days
from omniretail.demo.catalog import (
    CATEGORIES,
    CATEGORY_SEASON,
    CH,
    CHANNELS,
    FLAVOR_POPULARITY,
    SALES_CHANNELS,
    product_groups,
)
from omniretail.demo.geo import stores_by_city
from omniretail.demo.people import People
from omniretail.demo.rand import Arr, draw_in_groups, draw_rows

STATUSES = ("paid", "cancelled", "returned")
FULFILMENTS = ("in_store", "delivery", "pickup", "express", "group_pickup")
CANCEL = {"pos": 0.004, "miniprogram": 0.03, "app": 0.03, "tmall": 0.05, "jd": 0.04,
          "douyin": 0.08, "kuaishou": 0.07, "meituan": 0.03, "eleme": 0.03, "dianping": 0.05,
          "groupbuy": 0.02, "enterprise": 0.02}  # fmt: skip
RETURN = {"pos": 0.006, "miniprogram": 0.015, "app": 0.015, "tmall": 0.03, "jd": 0.03,
          "douyin": 0.06, "kuaishou": 0.05, "meituan": 0.01, "eleme": 0.01, "dianping": 0.0,
          "groupbuy": 0.01, "enterprise": 0.0}  # fmt: skip
COUPON_BASE = {"pos": 0.5, "miniprogram": 1.0, "app": 1.0, "tmall": 0.8, "jd": 0.7,
               "douyin": 0.6, "kuaishou": 0.5, "meituan": 0.9, "eleme": 0.9, "dianping": 0.0,
               "groupbuy": 0.4, "enterprise": 0.0}  # fmt: skip
COUPON_VALUES = np.array([3.0, 5.0, 10.0, 20.0, 30.0])
NEEDS_STORE = ("pos", "meituan", "eleme", "groupbuy", "dianping", "enterprise")


@dataclass
class Orders:
    person: Arr
    channel: Arr  # index into SALES_CHANNELS
    day: Arr
    secs: Arr  # seconds since midnight (local time)
    store: Arr  # -1 when none
    staff: Arr  # cashier / account manager, -1 when none
    guide: Arr  # 导购 who served or shared the link, -1 when none
    status: Arr
    fulfilment: Arr
    coupon_value: Arr
    seq: Arr  # running number within the channel, in time order
    n_lines: Arr
    first_line: Arr


@dataclass
class Lines:
    order: Arr
    line_no: Arr
    sku: Arr
    qty: Arr
    price: Arr
    discount: Arr
    amount: Arr


def build_orders(rng: np.random.Generator, p: People, stores: pa.Table, staff: pa.Table) -> Orders:
    a = np.maximum(p.signup_day, 0)
    b = np.minimum(p.churn_day, N_DAYS) - 1
    span = np.maximum(b - a + 1, 0)
    n_orders = rng.poisson(p.orders_per_year * span / 365.0)
    person = np.repeat(np.arange(p.n), n_orders)
    channel = draw_rows(rng, p.channel_pref, person)
    # day: from the channel group's seasonal curve, restricted to the person's active window
    day = np.empty(len(person), np.int32)
    secs = np.empty(len(person), np.int32)
    promo = promo_days()
    for grp in sorted(set(CHANNEL_GROUP.values())):
        chans = [CH[c] for c, g in CHANNEL_GROUP.items() if g == grp]
        m = np.flatnonzero(np.isin(channel, chans))
        cdf = np.concatenate([[0.0], np.cumsum(daily_weights(grp))])
        lo, hi = cdf[a[person[m]]], cdf[b[person[m]] + 1]
        u = lo + rng.random(len(m)) * (hi - lo)
        day[m] = np.clip(np.searchsorted(cdf, u, side="right") - 1, a[person[m]], b[person[m]])
        hours = np.asarray(HOURS[grp], float)
        h = rng.choice(24, len(m), p=hours / hours.sum())
        secs[m] = h * 3600 + rng.integers(0, 3600, len(m))
    # store: home store mostly, else another store of the same city, sometimes anywhere
    offsets, counts = stores_by_city(stores)
    home = p.home_store[person]
    r = rng.random(len(person))
    city = p.city_idx[person]
    same_city = offsets[city] + (rng.random(len(person)) * counts[city]).astype(np.int64)
    anywhere = rng.integers(0, stores.num_rows, len(person))
    store = np.where(r < 0.78, home, np.where(r < 0.96, same_city, anywhere))
    has_store = np.isin(channel, [CH[c] for c in NEEDS_STORE])
    has_store |= np.isin(channel, [CH["miniprogram"], CH["app"]]) & (rng.random(len(person)) < 0.4)
    store = np.where(has_store, store, -1)
    # in-store purchases happen while the store is open
    in_store = np.isin(channel, [CH["pos"], CH["dianping"]]) & (store >= 0)
    open_s, close_s = opening_seconds(stores)
    st_open, st_close = open_s[np.maximum(store, 0)], close_s[np.maximum(store, 0)]
    closed = in_store & ((secs < st_open) | (secs >= st_close))
    secs = np.where(
        closed, st_open + (rng.random(len(secs)) * (st_close - st_open)).astype(np.int32), secs
    )
    # staff of the store
    st_store = staff.column("_store_idx").to_numpy()
    st_counts = np.bincount(st_store, minlength=stores.num_rows)
    st_off = np.concatenate([[0], np.cumsum(st_counts)[:-1]])
    s = np.maximum(store, 0)
    pick = st_off[s] + (rng.random(len(person)) * st_counts[s]).astype(np.int64)
    is_pos = channel == CH["pos"]
    staff_idx = np.where(is_pos | (channel == CH["enterprise"]), pick, -1)
    guide_pick = st_off[s] + np.minimum(
        3 + (rng.random(len(person)) * np.maximum(st_counts[s] - 3, 1)).astype(np.int64),
        st_counts[s] - 1,
    )
    g_rate = np.where(is_pos, 0.35, np.where(channel == CH["miniprogram"], 0.15, 0.0))
    guide = np.where((store >= 0) & (rng.random(len(person)) < g_rate), guide_pick, -1)
    guide = np.where((channel == CH["miniprogram"]) & (store < 0) & (rng.random(len(person)) < 0.1),
                     st_off[p.home_store[person]] + 3, guide)  # fmt: skip
    # status
    cancel = np.array([CANCEL[c] for c in SALES_CHANNELS])[channel]
    ret = np.array([RETURN[c] for c in SALES_CHANNELS])[channel]
    r = rng.random(len(person))
    status = np.where(r < cancel, 1, np.where(r < cancel + ret, 2, 0)).astype(np.int8)
    # fulfilment
    fulfil = _fulfilment(rng, channel)
    # coupons: sensitivity x channel x promotion days
    base = np.array([COUPON_BASE[c] for c in SALES_CHANNELS])[channel]
    pr = base * np.clip(0.04 + 0.55 * p.coupon_sens[person], 0, 1) * np.where(promo[day], 1.6, 1.0)
    used = rng.random(len(person)) < pr
    coupon_value = np.where(
        used, COUPON_VALUES[rng.choice(5, len(person), p=[0.2, 0.35, 0.3, 0.1, 0.05])], 0.0
    )
    # lines per order
    mean = np.array([c.lines_mean for c in CHANNELS[: len(SALES_CHANNELS)]])[channel]
    n_lines = np.where(channel == CH["dianping"], 0, 1 + rng.poisson(mean)).astype(np.int32)
    # time order, running number per channel
    order = np.lexsort((person, secs, day))
    person, channel, day, secs = person[order], channel[order], day[order], secs[order]
    store, staff_idx, guide, status = store[order], staff_idx[order], guide[order], status[order]
    fulfil, coupon_value, n_lines = fulfil[order], coupon_value[order], n_lines[order]
    seq = np.zeros(len(person), np.int64)
    for c in range(len(SALES_CHANNELS)):
        m = channel == c
        seq[m] = np.arange(int(m.sum()))
    first_line = np.concatenate([[0], np.cumsum(n_lines)[:-1]]).astype(np.int64)
    return Orders(
        person=person.astype(np.int32),
        channel=channel.astype(np.int8),
        day=day,
        secs=secs,
        store=store.astype(np.int32),
        staff=staff_idx.astype(np.int32),
        guide=guide.astype(np.int32),
        status=status,
        fulfilment=fulfil,
        coupon_value=coupon_value,
        seq=seq,
        n_lines=n_lines,
        first_line=first_line,
    )


def opening_seconds(stores: pa.Table) -> tuple[Arr, Arr]:
    """Opening and closing time of each store, in seconds since midnight."""
    hours = stores.column("opening_hours").to_pylist()

    def secs(hhmm: str) -> int:
        h, m = hhmm.split(":")
        return int(h) * 3600 + int(m) * 60

    spans = [h.split("-") for h in hours]
    return (
        np.array([secs(a) for a, _ in spans], np.int32),
        np.array([secs(b) for _, b in spans], np.int32),
    )


def _fulfilment(rng: np.random.Generator, channel: Arr) -> Arr:
    f = np.full(len(channel), FULFILMENTS.index("express"), np.int8)
    r = rng.random(len(channel))
    for code in ("pos", "dianping", "enterprise"):
        f[channel == CH[code]] = FULFILMENTS.index("in_store")
    for code in ("meituan", "eleme"):
        m = channel == CH[code]
        f[m] = np.where(r[m] < 0.1, FULFILMENTS.index("pickup"), FULFILMENTS.index("delivery"))
    f[channel == CH["groupbuy"]] = FULFILMENTS.index("group_pickup")
    for code in ("miniprogram", "app"):
        m = channel == CH[code]
        f[m] = np.where(
            r[m] < 0.5,
            FULFILMENTS.index("express"),
            np.where(r[m] < 0.75, FULFILMENTS.index("pickup"), FULFILMENTS.index("delivery")),
        )
    return f


def build_lines(rng: np.random.Generator, o: Orders, p: People, products: pa.Table) -> Lines:
    n = int(o.n_lines.sum())
    order = np.repeat(np.arange(len(o.person)), o.n_lines).astype(np.int64)
    line_no = (np.arange(n) - o.first_line[order] + 1).astype(np.int16)
    person = o.person[order]
    day = o.day[order]
    sku = draw_skus(rng, p, products, person, day)
    qty = rng.choice([1, 2, 3, 4, 5, 6], n, p=[0.68, 0.2, 0.06, 0.03, 0.02, 0.01]).astype(np.int32)
    chan = o.channel[order]
    corp = chan == CH["enterprise"]
    qty[corp] *= rng.integers(10, 60, int(corp.sum())).astype(np.int32)
    list_price = products.column("price").to_numpy()[sku]
    markup = np.where(np.isin(chan, [CH["meituan"], CH["eleme"]]), 1.08, 1.0)
    price = np.round(list_price * markup, 1)
    gross = qty * price
    promo = promo_days()[day] & np.isin(
        chan, [CH[c] for c in ("tmall", "jd", "douyin", "kuaishou", "miniprogram", "app")]
    )
    discount = np.where(promo, np.round(gross * 0.1, 2), 0.0)
    discount += np.where(corp, np.round(gross * 0.12, 2), 0.0)
    # the order's coupon, spread over its lines by value
    order_gross = np.bincount(order, weights=gross, minlength=len(o.person))
    cv = np.minimum(o.coupon_value, order_gross * 0.5)
    o.coupon_value = np.round(cv, 2)
    share = np.round(gross / np.maximum(order_gross[order], 0.01) * cv[order], 2)
    discount = np.round(discount + share, 2)
    amount = np.round(gross - discount, 2)
    return Lines(
        order=order,
        line_no=line_no,
        sku=sku.astype(np.int32),
        qty=qty,
        price=price,
        discount=discount,
        amount=amount,
    )


def draw_skus(
    rng: np.random.Generator, p: People, products: pa.Table, person: Arr, day: Arr
) -> Arr:
    """SKUs a person picks on a day: category by taste and season, flavor by the favourite,
    product by popularity among those already launched."""
    n = len(person)
    month = DAYS[day].astype("datetime64[M]").astype(int) % 12
    # category: the person's taste, reshaped by the season (rejection sampling, 3 rounds)
    cat = draw_rows(rng, p.taste, person)
    season = CATEGORY_SEASON / CATEGORY_SEASON.max()
    for _ in range(3):
        reject = rng.random(n) > season[cat, month]
        if not reject.any():
            break
        cat[reject] = draw_rows(rng, p.taste, person[reject])
    # flavor: the favourite half of the time, else by general popularity
    fav = rng.random(n) < 0.5
    flavor = np.where(
        fav,
        p.fav_flavor[person],
        rng.choice(len(FLAVOR_POPULARITY), n, p=FLAVOR_POPULARITY / FLAVOR_POPULARITY.sum()),
    )
    offsets, group_of = product_groups(products)
    group = group_of[cat, flavor]
    group = np.where(group < 0, group_of[cat, 0], group)
    pop = products.column("_popularity").to_numpy()
    sku = draw_in_groups(rng, pop, offsets, group)
    launch = products.column("_launch_day").to_numpy()
    not_yet = launch[sku] > day
    sku[not_yet] = offsets[group[not_yet]]
    return sku


def category_of_lines(lines: Lines, products: pa.Table) -> Arr:
    return np.asarray(products.column("_top").to_numpy()[lines.sku])


__all__ = [
    "CATEGORIES",
    "FULFILMENTS",
    "STATUSES",
    "Lines",
    "Orders",
    "build_lines",
    "build_orders",
]
