"""Membership binding (会员绑定): the evidence a chain that pushes membership hard collects
besides its orders, each written only into the export a retailer really receives.

- **Home addresses** (收货地址): each person has one delivery address (district, street, house
  number, building, unit, room); platform and delivery orders mostly go there.
- **Official-account member card** (微信会员卡激活): a follower who claims the member card
  activates it with the phone number WeChat has verified (一键激活); the chain's CRM binds the
  existing member card of that phone, or issues an e-card.
- **Platform brand membership** (品牌会员通 / 会员入会): a Tmall, JD, Douyin, Meituan or Ele.me
  buyer who joins the brand's membership in its shop authorises the platform to share her phone
  number with the brand (the join gift is a coupon); the shop's member list has the buyer id
  and the phone.

Rates are in ``RATES`` (docs/demo-world.md gives the real-world basis).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from omniretail.demo.calendar import N_DAYS
from omniretail.demo.context import World
from omniretail.demo.geo import CITIES, STREETS
from omniretail.demo.identities import Source, find_in
from omniretail.demo.people import People
from omniretail.demo.rand import Arr, scrambled_ids, zfill
from omniretail.demo.writers import timestamps, write_csv

RATES = {
    # share of a platform's buyer accounts that joined the brand membership (a second account
    # of the same person joins less often: one phone binds one membership)
    "tmall": 0.60,
    "jd": 0.50,
    "douyin": 0.45,
    "meituan": 0.35,
    "eleme": 0.30,
    "dup_factor": 0.5,
    # share of official-account followers who claimed and activated the member card
    "oa_card": 0.70,
    # share of platform / delivery orders a person sends to her own home address
    "home_address": 0.85,
}


def _mix(x: Arr, salt: int) -> Arr:
    """A 64-bit integer hash (splitmix64 finaliser), elementwise."""
    offset = np.uint64((salt * 0x9E3779B97F4A7C15) % (1 << 64))
    with np.errstate(over="ignore"):
        z = x.astype(np.uint64) + offset
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def home_addresses(seed: int, p: People, person: Arr) -> Arr:
    """The home address (without province and city) of each of ``person``: stable per person
    and seed, computed without drawing from any stream, e.g. ``江汉区中山路12号5栋2单元1203室``."""
    pp = np.maximum(person, 0).astype(np.uint64)

    def draw(k: int, m: Arr | int) -> Arr:
        return (_mix(pp, seed * 16 + k) % np.asarray(m, dtype=np.uint64)).astype(np.int64)

    city = p.city_idx[np.maximum(person, 0)]
    counts = np.asarray([len(c.districts) for c in CITIES])
    offsets = np.concatenate([[0], np.cumsum(counts)[:-1]])
    flat = np.asarray([d for c in CITIES for d in c.districts])
    district = flat[offsets[city] + draw(1, counts[city])]
    street = np.asarray(STREETS)[draw(2, len(STREETS))]
    no = (draw(3, 400) + 1).astype(str)
    building = (draw(4, 30) + 1).astype(str)
    unit = (draw(5, 4) + 1).astype(str)
    room = ((draw(6, 32) + 1) * 100 + draw(7, 4) + 1).astype(str)
    a = np.char.add
    house = a(a(district, street), a(no, "号"))
    return a(house, a(a(building, "栋"), a(a(unit, "单元"), a(room, "室"))))


def present(src: Source) -> Arr:
    """Records of a platform source that placed orders (the others appear in no export)."""
    mask = np.zeros(len(src), bool)
    if src.order_record is not None:
        mask[src.order_record[src.order_record >= 0]] = True
    return mask


def _join_day(w: World, rng: np.random.Generator, src: Source, rows: Arr) -> Arr:
    """The join day: the record's first order day, or a few days before it."""
    first = np.full(len(src), N_DAYS - 1, np.int64)
    assert src.order_record is not None
    assert src.order_index is not None
    rec = src.order_record
    ok = rec >= 0
    np.minimum.at(first, rec[ok], w.orders.day[src.order_index[ok]])
    day: Arr = np.maximum(first[rows] - rng.integers(0, 8, len(rows)), 0)
    return day


def _platform_members(w: World, code: str, columns: tuple[str, str, str]) -> None:
    from omniretail.demo.exports_offline import member_phones

    rng = w.rng(f"membership:{code}")
    src = w.sources[code]
    rate = np.where(src.is_dup, RATES[code] * RATES["dup_factor"], RATES[code])
    joined = np.flatnonzero(present(src) & (src.person >= 0) & (rng.random(len(src)) < rate))
    phone = member_phones(w, rng, src.person[joined], src.is_dup[joined]).astype(str)
    day = _join_day(w, rng, src, joined)
    order = np.argsort(day, kind="stable")
    id_col, phone_col, time_col = columns
    table = pa.table(
        {
            id_col: src.record_id[joined][order],
            phone_col: phone[order],
            time_col: timestamps(day[order], rng.integers(8 * 3600, 24 * 3600, len(joined))),
            "会员等级": np.asarray(["普通会员", "银卡会员", "金卡会员"])[
                rng.choice(3, len(joined), p=[0.7, 0.22, 0.08])
            ],
        }
    )
    rel = f"exports/{code}/members.csv"
    w.record(rel, write_csv(table, w.path(rel)))


def write_tmall_members(w: World) -> None:
    """天猫品牌会员通: the flagship store's member list (buyer name, phone, join time)."""
    _platform_members(w, "tmall", ("买家会员名", "手机号", "入会时间"))


def write_jd_members(w: World) -> None:
    """京东品牌会员: the shop's member list (JD account, phone, join time)."""
    _platform_members(w, "jd", ("下单账号", "手机号", "入会时间"))


def write_douyin_members(w: World) -> None:
    """抖音品牌会员 (抖店会员): the shop's member list (user id, phone, join time)."""
    _platform_members(w, "douyin", ("用户ID", "手机号", "入会时间"))


def write_meituan_members(w: World) -> None:
    """美团外卖品牌会员: the shop's brand members (customer id, phone, join time)."""
    _platform_members(w, "meituan", ("顾客ID", "手机号", "入会时间"))


def write_eleme_members(w: World) -> None:
    """饿了么品牌会员: the shop's brand members (user id, phone, join time)."""
    _platform_members(w, "eleme", ("用户ID", "手机号", "入会时间"))


def write_oa_member_cards(w: World) -> None:
    """微信会员卡: official-account followers who activated the member card, with the
    WeChat-verified phone and the card code (their POS member card, else a new e-card)."""
    from omniretail.demo.exports_offline import member_phones

    rng = w.rng("membership:wechat_oa")
    src = w.sources["wechat_oa"]
    n = len(src)
    act = np.flatnonzero((src.person >= 0) & (rng.random(n) < RATES["oa_card"]))
    person = src.person[act]
    phone = member_phones(w, rng, person, src.is_dup[act]).astype(str)
    pos = w.sources["pos"]
    card = find_in(pos, person)
    ecard = np.char.add(
        "WX", zfill(scrambled_ids(len(act), 10, int(rng.integers(1 << 40))).astype(str), 10)
    )
    code = np.where(card >= 0, pos.record_id[np.maximum(card, 0)], ecard)
    day = np.minimum(
        np.maximum(w.people.signup_day[person], 0) + rng.integers(0, 200, len(act)), N_DAYS - 1
    )
    order = np.argsort(day, kind="stable")
    table = pa.table(
        {
            "openid": src.record_id[act][order],
            "card_code": code[order],
            "mobile": phone[order],
            "activate_time": timestamps(day[order], rng.integers(8 * 3600, 23 * 3600, len(act))),
        }
    )
    rel = "exports/wechat_oa/member_cards.csv"
    w.record(rel, write_csv(table, w.path(rel)))
