"""People of the demo world and their latent personas (the truth behind the exports)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from omniretail.demo.calendar import N_DAYS, START
from omniretail.demo.catalog import CATEGORIES, CH, CHANNELS, FLAVORS, SALES_CHANNELS
from omniretail.demo.geo import CITIES
from omniretail.demo.names import person_names
from omniretail.demo.rand import Arr, draw_rows, zfill

MOBILE_PREFIXES = np.array([130, 131, 132, 133, 134, 135, 136, 137, 138, 139, 150, 151, 152, 153,
                            155, 156, 157, 158, 159, 166, 176, 177, 178, 180, 181, 182, 183, 185,
                            186, 187, 188, 189, 191, 198, 199])  # fmt: skip


@dataclass
class People:
    """Column arrays, one entry per person (index = person number)."""

    n: int
    person_id: Arr
    name: Arr
    female: Arr
    birthday: Arr  # datetime64[D]
    phone: Arr  # int64, 11 digits
    home_store: Arr
    city_idx: Arr
    signup_day: Arr  # day index (negative = before the world starts)
    churn_day: Arr  # day index (>= N_DAYS = still alive at the end)
    orders_per_year: Arr
    churn_hazard: Arr
    taste: Arr  # (n, 6) category shares
    fav_flavor: Arr
    price_sens: Arr
    coupon_sens: Arr
    quality_sens: Arr
    channel_pref: Arr  # (n, len(SALES_CHANNELS))
    group_leader: Arr
    corporate_buyer: Arr
    giftcard_buyer: Arr
    wechat_user: Arr  # has a WeChat open-platform unionid
    second_phone: Arr  # int64 or 0: another number some channels know


def build_people(rng: np.random.Generator, n: int, stores: pa.Table) -> People:
    names, female = person_names(rng, n)
    age = np.clip(rng.gamma(6.0, 5.2, n) + 14, 16, 72)
    birthday = (
        np.datetime64("2026-10-31") - (age * 365.25).astype(int).astype("timedelta64[D]")
    ).astype("datetime64[D]")
    suffix = rng.choice(100_000_000, n, replace=False)
    phone = MOBILE_PREFIXES[rng.integers(0, len(MOBILE_PREFIXES), n)] * 100_000_000 + suffix
    traffic = stores.column("_traffic").to_numpy()
    home = rng.choice(stores.num_rows, n, p=traffic / traffic.sum())
    city_idx = stores.column("_city_idx").to_numpy()[home]
    # when they became customers: 45 % before the world starts
    before = rng.random(n) < 0.45
    signup = np.where(before, -rng.integers(1, 3 * 365, n), rng.integers(0, N_DAYS, n))
    churn_hazard = rng.lognormal(np.log(0.35), 0.6, n)  # per year
    life_days = rng.exponential(365.0 / churn_hazard)
    churn_day = np.maximum(signup, 0) + life_days.astype(np.int64) + 30
    churn_day = np.minimum(churn_day, N_DAYS + 10_000)
    orders_per_year = rng.gamma(1.3, 6.2, n)
    young = age < 30
    # personas
    base_taste = np.array([c.share for c in CATEGORIES])
    taste = rng.dirichlet(base_taste * 3.0, n)
    flav_w = np.array([1.0] * len(FLAVORS))
    fav_flavor = rng.choice(len(FLAVORS), n, p=flav_w / flav_w.sum())
    price_sens = rng.beta(2.0, 2.6, n)
    coupon_sens = np.clip(rng.beta(1.8, 3.2, n) + 0.25 * price_sens - 0.1, 0.0, 1.0)
    sleeping = rng.random(n) < 0.05  # annoyed by marketing: offers backfire
    coupon_sens[sleeping] = -rng.uniform(0.1, 0.4, int(sleeping.sum()))
    quality_sens = rng.beta(2.5, 2.5, n)
    share = np.array([c.share for c in CHANNELS[: len(SALES_CHANNELS)]])
    alpha = np.tile(share * 1.6 + 0.002, (n, 1))
    alpha[young, CH["douyin"]] *= 2.5
    alpha[young, CH["pos"]] *= 0.7
    alpha[~young, CH["groupbuy"]] *= 1.6
    pref = rng.gamma(alpha)
    corporate = rng.random(n) < 0.004
    pref[corporate, CH["enterprise"]] = pref[corporate].sum(axis=1) * 0.5
    pref = pref / pref.sum(axis=1, keepdims=True)
    leader = (pref[:, CH["groupbuy"]] > 0.15) & (rng.random(n) < 0.08)
    pref[leader, CH["groupbuy"]] += 0.5
    pref = pref / pref.sum(axis=1, keepdims=True)
    second = np.where(rng.random(n) < 0.06, MOBILE_PREFIXES[rng.integers(0, 35, n)] * 10**8
                      + rng.integers(0, 10**8, n), 0)  # fmt: skip
    return People(
        n=n,
        person_id=np.char.add("P", zfill(np.arange(1, n + 1).astype(str), 7)),
        name=names,
        female=female,
        birthday=birthday,
        phone=phone.astype(np.int64),
        home_store=home,
        city_idx=city_idx,
        signup_day=signup.astype(np.int32),
        churn_day=churn_day.astype(np.int32),
        orders_per_year=orders_per_year,
        churn_hazard=churn_hazard,
        taste=taste,
        fav_flavor=fav_flavor,
        price_sens=price_sens,
        coupon_sens=coupon_sens,
        quality_sens=quality_sens,
        channel_pref=pref,
        group_leader=leader,
        corporate_buyer=corporate,
        giftcard_buyer=rng.random(n) < 0.03,
        wechat_user=rng.random(n) < 0.9,
        second_phone=second.astype(np.int64),
    )


def lifecycle(p: People) -> Arr:
    """new / active / at_risk / churned at the end of the world."""
    end = N_DAYS - 1
    return np.where(
        p.churn_day <= end,
        "churned",
        np.where(
            p.signup_day > end - 90, "new", np.where(p.churn_day <= end + 90, "at_risk", "active")
        ),
    )


def persons_table(p: People, stores: pa.Table, expected_basket: Arr) -> pa.Table:
    """truth/persons.parquet."""
    end = N_DAYS - 1
    store_codes = stores.column("store_code").to_numpy(zero_copy_only=False)
    cols: dict[str, object] = {
        "person_id": p.person_id,
        "name": p.name,
        "gender": np.where(p.female, "F", "M"),
        "birthday": p.birthday,
        "phone": np.char.add("+86", p.phone.astype(str)),
        "province": np.asarray([c.province for c in CITIES])[p.city_idx],
        "city": np.asarray([c.name for c in CITIES])[p.city_idx],
        "home_store_code": store_codes[p.home_store],
        "signup_date": START + p.signup_day.astype("timedelta64[D]"),
        "churn_date": pa.array(
            (START + p.churn_day.astype("timedelta64[D]")), mask=p.churn_day > end
        ),
        "lifecycle": lifecycle(p),
    }
    for i, c in enumerate(CATEGORIES):
        cols[f"taste_{c.code}"] = np.round(p.taste[:, i], 4)
    cols.update(
        {
            "fav_flavor": np.asarray(FLAVORS)[p.fav_flavor],
            "price_sensitivity": np.round(p.price_sens, 4),
            "coupon_sensitivity": np.round(p.coupon_sens, 4),
            "quality_sensitivity": np.round(p.quality_sens, 4),
            "pref_channel": np.asarray(SALES_CHANNELS)[p.channel_pref.argmax(axis=1)],
            "orders_per_year": np.round(p.orders_per_year, 3),
            "churn_hazard": np.round(p.churn_hazard, 4),
            "expected_basket": np.round(expected_basket, 2),
            "is_group_leader": p.group_leader,
            "is_corporate_buyer": p.corporate_buyer,
        }
    )
    return pa.table(cols)


def draw_channel(rng: np.random.Generator, p: People, person: Arr) -> Arr:
    return draw_rows(rng, p.channel_pref, person)
