"""Raw identity records per source: who has an account where, duplicates, test accounts, and
which record each order was placed under."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from omniretail.demo.catalog import CH
from omniretail.demo.orders import Orders
from omniretail.demo.people import People
from omniretail.demo.rand import Arr, scrambled_ids, stage_rng, unique_tokens, uuids, zfill

# source -> (kind, id generator spec)
KINDS = {
    "pos": "member", "miniprogram": "member", "app": "member", "wechat_oa": "follower",
    "wecom": "contact", "tmall": "buyer", "jd": "buyer", "douyin": "buyer", "kuaishou": "buyer",
    "meituan": "buyer", "eleme": "buyer", "dianping": "buyer", "groupbuy": "buyer",
    "enterprise": "buyer",
}  # fmt: skip
DUP_SHARE = {"pos": 0.04, "miniprogram": 0.02, "app": 0.01, "tmall": 0.03, "jd": 0.03,
             "douyin": 0.04, "kuaishou": 0.03, "meituan": 0.03, "eleme": 0.03, "dianping": 0.02,
             "groupbuy": 0.03, "enterprise": 0.0, "wechat_oa": 0.0, "wecom": 0.03}  # fmt: skip
N_TEST = {"pos": 0.0006, "miniprogram": 0.0004, "app": 0.0003, "wecom": 0.0002,
          "groupbuy": 0.0002}  # fmt: skip


@dataclass
class Source:
    """Identity records of one source; record i belongs to person ``person[i]`` (-1 = test)."""

    name: str
    person: Arr
    is_dup: Arr
    record_id: Arr = field(default_factory=lambda: np.empty(0, "U1"))
    order_record: Arr | None = None  # per order of this channel (time order), -1 = anonymous
    order_index: Arr | None = None  # the channel's orders (indices into Orders)

    @property
    def is_test(self) -> Arr:
        return np.asarray(self.person < 0)

    def __len__(self) -> int:
        return len(self.person)


def _records(
    rng: np.random.Generator, persons: Arr, dup_share: float, n_test: int
) -> tuple[Arr, Arr, Arr]:
    """Records for ``persons`` (+ a second record for some) + test records.
    Returns (record_person, is_dup, dup_record_of_person-position)."""
    dup = rng.random(len(persons)) < dup_share
    rec = np.concatenate([persons, persons[dup], np.full(n_test, -1)])
    is_dup = np.concatenate([dup, np.ones(int(dup.sum()), bool), np.zeros(n_test, bool)])
    second = np.full(len(persons), -1)
    second[dup] = len(persons) + np.arange(int(dup.sum()))
    # shuffle records so ids do not reveal the duplicates
    perm = rng.permutation(len(rec))
    inv = np.empty_like(perm)
    inv[perm] = np.arange(len(perm))
    where = np.stack([inv[: len(persons)], np.where(second >= 0, inv[np.maximum(second, 0)], -1)])
    return rec[perm], is_dup[perm], where


def _attach_orders(
    rng: np.random.Generator, src: Source, o: Orders, channel: int, persons: Arr, where: Arr, n: int
) -> None:
    """Point each order of ``channel`` at the buyer's record (some at the duplicate)."""
    idx = np.flatnonzero(o.channel == channel)
    first = np.full(n, -1, np.int64)
    second = np.full(n, -1, np.int64)
    first[persons] = where[0]
    second[persons] = where[1]
    pp = o.person[idx]
    rec = first[pp]
    use2 = (second[pp] >= 0) & (rng.random(len(idx)) < 0.4)
    src.order_record = np.where(use2, second[pp], rec)
    src.order_index = idx


def build_sources(rng: np.random.Generator, p: People, o: Orders) -> dict[str, Source]:
    n = p.n
    buyers = {c: np.unique(o.person[o.channel == i]) for c, i in CH.items()}
    pick = rng.random((n, 6))
    out: dict[str, Source] = {}

    def make(name: str, persons: Arr, channel: str | None) -> Source:
        persons = np.unique(persons)
        n_test = int(round(N_TEST.get(name, 0.0) * n)) + (2 if name in N_TEST else 0)
        rec, is_dup, where = _records(rng, persons, DUP_SHARE.get(name, 0.0), n_test)
        src = Source(name, rec.astype(np.int64), is_dup)
        if channel is not None:
            _attach_orders(rng, src, o, CH[channel], persons, where, n)
        out[name] = src
        return src

    # POS: 85 % of store buyers hold a member card; plus members who never bought since
    pos_members = buyers["pos"][pick[buyers["pos"], 0] < 0.85]
    pos_extra = np.flatnonzero(pick[:, 0] < 0.04)
    pos = make("pos", np.concatenate([pos_members, pos_extra]), "pos")  # others: anonymous
    wechat = p.wechat_user
    make("miniprogram", np.concatenate([buyers["miniprogram"],
         np.flatnonzero(wechat & (pick[:, 1] < 0.25))]), "miniprogram")  # fmt: skip
    make("app", np.concatenate([buyers["app"], np.flatnonzero(pick[:, 2] < 0.06)]), "app")
    mini_people = out["miniprogram"].person[out["miniprogram"].person >= 0]
    oa = np.concatenate([np.flatnonzero(wechat & (pick[:, 3] < 0.3)),
                         mini_people[pick[mini_people, 3] < 0.55]])  # fmt: skip
    make("wechat_oa", oa, None)
    pos_people = pos.person[pos.person >= 0]
    wc = np.concatenate([pos_people[pick[pos_people, 4] < 0.35],
                         mini_people[pick[mini_people, 4] < 0.12]])  # fmt: skip
    make("wecom", wc[wechat[wc]], None)
    for ch in ("tmall", "jd", "douyin", "kuaishou", "meituan", "eleme", "dianping"):
        make(ch, buyers[ch], ch)
    make(
        "groupbuy", np.concatenate([buyers["groupbuy"], np.flatnonzero(p.group_leader)]), "groupbuy"
    )
    make("enterprise", buyers["enterprise"], "enterprise")
    _assign_ids(rng, out)
    return out


def _assign_ids(rng: np.random.Generator, sources: dict[str, Source]) -> None:
    def num(src: Source, width: int, prefix: str = "") -> Arr:
        ids = scrambled_ids(len(src), width, salt=int(rng.integers(1 << 40)))
        return np.char.add(prefix, zfill(ids.astype(str), width))

    s = sources
    s["pos"].record_id = num(s["pos"], 10, "LP")
    s["miniprogram"].record_id = unique_tokens(rng, len(s["miniprogram"]), 28, "o")
    s["app"].record_id = num(s["app"], 9, "A")
    s["wechat_oa"].record_id = unique_tokens(rng, len(s["wechat_oa"]), 28, "oX")
    s["wecom"].record_id = unique_tokens(rng, len(s["wecom"]), 32, "wm")
    s["tmall"].record_id = _tmall_nicks(rng, len(s["tmall"]))
    s["jd"].record_id = np.char.add("jd_", unique_tokens(rng, len(s["jd"]), 13, "")).astype("U16")
    s["jd"].record_id = np.char.lower(s["jd"].record_id)
    s["douyin"].record_id = num(s["douyin"], 16)
    s["douyin"].record_id = np.char.add("1", zfill(s["douyin"].record_id, 16))
    s["kuaishou"].record_id = num(s["kuaishou"], 10)
    s["kuaishou"].record_id = np.char.add("2", s["kuaishou"].record_id)
    s["meituan"].record_id = np.char.add("9", num(s["meituan"], 9))
    s["eleme"].record_id = num(s["eleme"], 11, "EL")
    s["dianping"].record_id = np.char.add("5", num(s["dianping"], 8))
    s["groupbuy"].record_id = num(s["groupbuy"], 8, "GB")
    s["enterprise"].record_id = num(s["enterprise"], 6, "QY")


def _tmall_nicks(rng: np.random.Generator, n: int) -> Arr:
    """Taobao member names: ``tb123456789``, pinyin-ish handles and Chinese nicknames, unique."""
    seq = scrambled_ids(n, 9, salt=int(rng.integers(1 << 40))).astype(str)
    style = rng.integers(0, 4, n)
    heads = np.asarray(["tb", "小", "xiaomei_", "吃货", "andy", "lucky猫", "快乐的", "t_"])
    h = heads[style * 2 + rng.integers(0, 2, n)]
    return np.char.add(h, seq)


def find_in(src: Source, persons: Arr) -> Arr:
    """The first record index of each person in ``src`` (-1 when none)."""
    first = np.full(int(max(persons.max(initial=0), src.person.max(initial=0))) + 1, -1, np.int64)
    valid = np.flatnonzero(src.person >= 0)
    # iterate in reverse so the smallest index wins
    first[src.person[valid[::-1]]] = valid[::-1]
    return first[persons]


def device_ids(seed: int, source: str, n: int) -> Arr:
    """The SDK's anonymous id of each app / mini-program record (stable per seed)."""
    return uuids(stage_rng(seed, f"devices:{source}"), n)
