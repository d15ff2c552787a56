"""Master data of the demo chain: category tree, 2,000 SKUs, the 15 channels and the staff."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from omniretail.demo.calendar import END, START
from omniretail.demo.names import person_names
from omniretail.demo.rand import Arr, zfill

FLAVORS = (
    "原味",
    "香辣",
    "五香",
    "奶香",
    "麻辣",
    "蜂蜜",
    "海盐",
    "椒盐",
    "炭烧",
    "酸甜",
    "芝士",
    "抹茶",
)
FLAVOR_POPULARITY = np.array([3.0, 2.0, 1.0, 1.6, 1.8, 1.0, 0.8, 0.6, 0.7, 1.3, 0.8, 0.7])


@dataclass(frozen=True)
class CategoryRef:
    code: str
    name: str
    name_en: str
    replenish_days: int
    share: float  # of all lines
    flavors: tuple[str, ...]
    subs: tuple[tuple[str, str, float], ...]  # (code, 中文名, base price of 100 g)


CATEGORIES: tuple[CategoryRef, ...] = (
    CategoryRef("nuts", "坚果", "Nuts", 30, 0.27,
                ("原味", "奶香", "海盐", "椒盐", "炭烧", "蜂蜜"), (
        ("mixed_nuts", "每日坚果", 9.0), ("macadamia", "夏威夷果", 8.0), ("pecan", "碧根果", 9.5),
        ("cashew", "腰果", 8.5), ("pistachio", "开心果", 9.0), ("almond", "巴旦木", 7.0),
        ("seeds", "瓜子", 3.0), ("nut_gift", "坚果礼盒", 7.5))),
    CategoryRef("meat", "肉类零食", "Dried meat", 21, 0.22,
                ("原味", "香辣", "五香", "麻辣", "蜂蜜", "炭烧"), (
        ("beef_jerky", "牛肉干", 14.0), ("pork_jerky", "猪肉脯", 9.0), ("duck_neck", "鸭脖", 6.0),
        ("chicken_feet", "鸡爪", 5.5), ("braised", "卤味豆干", 3.5), ("squid", "鱿鱼丝", 8.0))),
    CategoryRef("pastry", "糕点", "Pastries", 14, 0.18, ("原味", "奶香", "芝士", "抹茶", "蜂蜜"), (
        ("cake", "蛋糕", 4.0), ("bread", "手撕面包", 2.5), ("biscuit", "饼干", 3.5),
        ("mochi", "麻薯", 5.0), ("mooncake", "月饼", 6.0), ("shaqima", "沙琪玛", 3.0))),
    CategoryRef("candy", "糖果", "Candy", 30, 0.11, ("原味", "酸甜", "奶香", "抹茶", "芝士"), (
        ("gummy", "软糖", 5.0), ("chocolate", "巧克力", 8.0), ("nougat", "牛轧糖", 6.0),
        ("jelly", "果冻", 2.5))),
    CategoryRef("dried_fruit", "果干", "Dried fruit", 30, 0.13, ("原味", "酸甜", "蜂蜜", "海盐"), (
        ("mango", "芒果干", 5.5), ("raisin", "葡萄干", 3.0), ("cranberry", "蔓越莓干", 4.5),
        ("yellow_peach", "黄桃干", 5.0), ("fd_strawberry", "冻干草莓", 12.0),
        ("plum", "话梅", 4.0))),
    CategoryRef("drinks", "饮料", "Drinks", 10, 0.09, ("原味", "酸甜", "奶香", "抹茶"), (
        ("juice", "果汁", 1.2), ("milk_tea", "奶茶", 2.0), ("sparkling", "气泡水", 1.0),
        ("tea_drink", "茶饮料", 1.0), ("plant_milk", "植物蛋白饮料", 1.3))),
)  # fmt: skip

# monthly multiplier of a category's share (Jan..Dec): drinks in summer, pastries at Mid-Autumn
CATEGORY_SEASON = np.array(
    [
        [1.3, 1.3, 1.0, 0.9, 0.9, 0.9, 0.8, 0.8, 1.0, 1.1, 1.2, 1.2],  # nuts (gift boxes)
        [1.1, 1.1, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.1, 1.1],  # meat
        [1.0, 1.0, 1.0, 1.0, 1.0, 0.9, 0.9, 1.0, 1.6, 1.4, 1.0, 1.0],  # pastry (mooncakes)
        [1.4, 1.4, 1.0, 0.9, 1.0, 0.9, 0.8, 1.0, 0.9, 1.0, 1.1, 1.2],  # candy
        [1.0, 1.0, 1.0, 1.0, 1.1, 1.1, 1.1, 1.1, 1.0, 1.0, 1.0, 1.0],  # dried fruit
        [0.5, 0.5, 0.8, 1.1, 1.5, 2.0, 2.4, 2.3, 1.4, 0.9, 0.6, 0.5],  # drinks
    ]
)

SPECS = (("58g", 0.58), ("100g", 1.0), ("120g", 1.2), ("200g", 2.0), ("258g", 2.58),
         ("500g", 5.0), ("礼盒装1.2kg", 13.0))  # fmt: skip
SPEC_SHARE = np.array([0.18, 0.3, 0.12, 0.18, 0.08, 0.09, 0.05])
DESCRIPTORS = ("", "手撕", "精选", "每日", "独立小包装", "罐装", "家庭装", "办公室", "经典", "新品",
               "大颗粒", "低糖", "儿童", "零添加", "网红", "锁鲜")  # fmt: skip
BRANDS = ("良品铺子", "良品铺子", "良品铺子", "良品铺子", "良品小食仙", "良品铺子·高端", "良品飞扬")

N_SKUS = 2000
PACK_SIZE = (48, 30, 24, 20, 16, 10, 6)  # units per case, by spec (SPECS)


def ean13(skus: np.ndarray) -> list[str]:
    """EAN-13 barcodes with the chain's (made-up) company prefix 69012 and the SKU number."""
    out: list[str] = []
    for sku in skus:
        body = f"69012{int(sku) % 10_000_000:07d}"
        total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(body))
        out.append(body + str((10 - total % 10) % 10))
    return out


@dataclass(frozen=True)
class ChannelRef:
    code: str
    name: str
    name_en: str
    kind: str
    domain: str
    platform: str
    share: float  # mean preference of a person
    lines_mean: float  # extra lines per order (Poisson mean on top of one)


CHANNELS: tuple[ChannelRef, ...] = (
    ChannelRef("pos", "门店收银", "Store POS", "offline", "private", "pos", 0.44, 0.9),
    ChannelRef("miniprogram", "微信小程序商城", "WeChat mini-program", "online", "private",
               "wechat", 0.10, 1.8),
    ChannelRef("app", "良品APP", "Mobile app", "online", "private", "app", 0.05, 2.0),
    ChannelRef("tmall", "天猫旗舰店", "Tmall flagship", "online", "public", "alibaba", 0.10, 2.2),
    ChannelRef("jd", "京东旗舰店", "JD flagship", "online", "public", "jd", 0.05, 2.0),
    ChannelRef("douyin", "抖音小店", "Douyin shop", "online", "public", "bytedance", 0.05, 1.0),
    ChannelRef("kuaishou", "快手小店", "Kuaishou shop", "online", "public", "kuaishou", 0.015, 1.0),
    ChannelRef("meituan", "美团外卖", "Meituan delivery", "online", "public", "meituan", 0.06, 1.6),
    ChannelRef("eleme", "饿了么", "Ele.me delivery", "online", "public", "alibaba", 0.03, 1.6),
    ChannelRef("dianping", "大众点评团购", "Dianping vouchers", "online", "public", "meituan",
               0.02, 0.0),
    ChannelRef("groupbuy", "社区团购", "Community group-buying", "online", "private", "wechat",
               0.05, 1.0),
    ChannelRef("enterprise", "企业团购", "Corporate orders", "offline", "private", "b2b", 0.0, 3.0),
    ChannelRef("giftcard", "礼品卡", "Gift cards", "offline", "private", "giftcard", 0.0, 0.0),
    ChannelRef("wecom", "企业微信导购", "WeCom clerks", "online", "private", "wechat", 0.0, 0.0),
    ChannelRef("wechat_oa", "微信公众号", "WeChat official account", "online", "private",
               "wechat", 0.0, 0.0),
)  # fmt: skip
CHANNEL_CODES = tuple(c.code for c in CHANNELS)
# channels with their own orders of SKUs, in the order of the preference vector
SALES_CHANNELS = CHANNEL_CODES[:12]
CH = {code: i for i, code in enumerate(SALES_CHANNELS)}


def categories_table() -> pa.Table:
    rows: list[tuple[str, str, str, int, int]] = []
    for c in CATEGORIES:
        rows.append((c.code, c.name, "", 1, c.replenish_days))
        for code, name, _ in c.subs:
            rows.append((code, name, c.code, 2, c.replenish_days))
    cols = list(zip(*rows, strict=True))
    return pa.table(
        {
            "category_code": list(cols[0]),
            "category_name": list(cols[1]),
            "parent_code": list(cols[2]),
            "level": pa.array(cols[3], pa.int8()),
            "replenish_days": pa.array(cols[4], pa.int16()),
        }
    )


def build_products(rng: np.random.Generator) -> pa.Table:
    """2,000 SKUs sorted by (top category, flavor group); popularity and quality are latent."""
    subs = [(ci, s) for ci, c in enumerate(CATEGORIES) for s in c.subs]
    cat_share = np.array([CATEGORIES[ci].share / len(CATEGORIES[ci].subs) for ci, _ in subs])
    sub_idx = rng.choice(len(subs), N_SKUS, p=cat_share / cat_share.sum())
    sub_idx[: len(subs)] = np.arange(len(subs))  # every sub-category has SKUs
    top = np.array([subs[s][0] for s in sub_idx])
    flavor = np.empty(N_SKUS, np.int64)
    for ci, c in enumerate(CATEGORIES):
        m = np.flatnonzero(top == ci)
        allowed = np.array([FLAVORS.index(f) for f in c.flavors])
        w = FLAVOR_POPULARITY[allowed]
        flavor[m] = allowed[rng.choice(len(allowed), len(m), p=w / w.sum())]
        flavor[m[: len(allowed)]] = allowed  # every allowed flavor exists in the category
    spec = rng.choice(len(SPECS), N_SKUS, p=SPEC_SHARE)
    base = np.array([subs[s][1][2] for s in sub_idx])
    price = np.round(
        base * np.array([SPECS[s][1] for s in spec]) * rng.lognormal(0, 0.18, N_SKUS), 1
    )
    price = np.maximum(price, 2.5) - 0.1  # 9.9-style prices
    launch_offset = np.where(
        rng.random(N_SKUS) < 0.82,
        -rng.integers(30, 365 * 6, N_SKUS),
        rng.integers(0, (END - START).astype(int) + 1, N_SKUS),
    )
    recent = rng.random(N_SKUS) < 0.035  # launched in the last months of the world
    launch_offset[recent] = (END - START).astype(int) - rng.integers(0, 180, int(recent.sum()))
    launch = START + launch_offset.astype("timedelta64[D]")
    desc = rng.integers(0, len(DESCRIPTORS), N_SKUS)
    brand = rng.integers(0, len(BRANDS), N_SKUS)
    order = np.lexsort((launch_offset, flavor, top))
    names: list[str] = []
    seen: set[str] = set()
    for i in order:
        nm = (
            f"{BRANDS[brand[i]]} {DESCRIPTORS[desc[i]]}{FLAVORS[flavor[i]]}"
            f"{subs[sub_idx[i]][1][1]} {SPECS[spec[i]][0]}"
        )
        k = 2
        while nm in seen:
            nm = f"{nm.rsplit(' ', 1)[0]} {SPECS[spec[i]][0]}×{k}"
            k += 1
        seen.add(nm)
        names.append(nm)
    # the oldest SKU of each (category, flavor) group exists before the world starts
    key = top[order] * len(FLAVORS) + flavor[order]
    firsts = np.flatnonzero(np.concatenate([[True], key[1:] != key[:-1]]))
    launch_offset[order[firsts]] = np.minimum(launch_offset[order[firsts]], -30)
    launch = START + launch_offset.astype("timedelta64[D]")
    skus = 100000 + np.sort(rng.choice(899999, N_SKUS, replace=False))
    is_new = launch[order] > END - np.timedelta64(182, "D")
    popularity = rng.pareto(1.3, N_SKUS)[order] + 0.05
    popularity[is_new] *= 3.0  # new products get pushed
    return pa.table(
        {
            "sku": [str(s) for s in skus],
            "name": names,
            "category_code": [subs[sub_idx[i]][1][0] for i in order],
            "brand": [BRANDS[brand[i]] for i in order],
            "flavor": [FLAVORS[flavor[i]] for i in order],
            "spec": [SPECS[spec[i]][0] for i in order],
            "price": np.round(price[order], 2),
            "launch_date": launch[order].astype(str),
            "shelf_life_days": np.array([120, 240, 180, 150, 360, 270])[top[order]].astype(
                np.int16
            ),
            "is_new": is_new,
            "barcode": ean13(skus),
            "pack_size": np.array([PACK_SIZE[s] for s in spec[order]], np.int16),
            "unit": np.where(spec[order] == len(SPECS) - 1, "盒", "袋"),
            "_top": top[order].astype(np.int8),
            "_flavor": flavor[order].astype(np.int8),
            "_launch_day": launch_offset[order].astype(np.int32),
            "_popularity": popularity,
            "_quality": rng.normal(0, 1, N_SKUS),
        }
    )


def product_groups(products: pa.Table) -> tuple[Arr, Arr]:
    """SKUs are sorted by (top category, flavor): return (offsets, group_of[cat, flavor])
    where ``group_of`` is -1 for a flavor the category does not have."""
    key = products.column("_top").to_numpy().astype(np.int64) * len(FLAVORS) + products.column(
        "_flavor"
    ).to_numpy().astype(np.int64)
    uniq, starts = np.unique(key, return_index=True)
    offsets = np.concatenate([starts, [len(key)]])
    group_of = np.full((len(CATEGORIES), len(FLAVORS)), -1, np.int64)
    group_of[uniq // len(FLAVORS), uniq % len(FLAVORS)] = np.arange(len(uniq))
    return offsets, group_of


def channels_table() -> pa.Table:
    return pa.table(
        {
            "channel_code": [c.code for c in CHANNELS],
            "name": [c.name for c in CHANNELS],
            "name_en": [c.name_en for c in CHANNELS],
            "kind": [c.kind for c in CHANNELS],
            "domain": [c.domain for c in CHANNELS],
            "platform": [c.platform for c in CHANNELS],
        }
    )


def build_staff(rng: np.random.Generator, stores: pa.Table) -> pa.Table:
    """4-8 people per store: a manager (店长), cashiers (收银员) and guides (导购)."""
    n_st = stores.num_rows
    per = rng.integers(4, 9, n_st)
    store_idx = np.repeat(np.arange(n_st), per)
    n = len(store_idx)
    first = np.concatenate([[0], np.cumsum(per)[:-1]])
    pos_in = np.arange(n) - first[store_idx]
    role = np.where(pos_in == 0, "店长", np.where(pos_in <= 2, "收银员", "导购"))
    names, _ = person_names(rng, n, female_share=0.75)
    codes = np.char.add("E", zfill(np.arange(1, n + 1).astype(str), 5))
    opened = stores.column("opened_on").to_numpy(zero_copy_only=False).astype("datetime64[D]")
    hired = np.maximum(opened[store_idx], START - rng.integers(0, 2000, n).astype("timedelta64[D]"))
    phones = 13000000000 + rng.integers(0, 9_99999999, n)
    return pa.table(
        {
            "staff_code": codes,
            "name": names,
            "store_code": stores.column("store_code").take(pa.array(store_idx)),
            "role": role,
            "wecom_userid": np.char.add("LP-", codes),
            "phone": phones.astype(str),
            "hired_on": hired.astype(str),
            "_store_idx": store_idx.astype(np.int32),
        }
    )
