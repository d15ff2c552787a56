"""A small synthetic snack shop with known tastes, for recommender tests.

Each customer has one favourite category and buys from it 75 % of the time; products carry
Chinese names, categories, brands, flavours and prices. Seeded, so every run is identical.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

CATEGORIES = {
    "nuts": ("坚果", ["腰果", "巴旦木", "开心果", "夏威夷果", "碧根果", "核桃仁"]),
    "meat": ("肉类零食", ["牛肉干", "猪肉脯", "鸭脖", "鸡爪", "牛肉粒", "鱿鱼丝"]),
    "pastry": ("糕点", ["蛋黄酥", "肉松饼", "绿豆糕", "凤梨酥", "蛋卷", "麻薯"]),
    "candy": ("糖果", ["牛轧糖", "软糖", "棒棒糖", "奶糖", "薄荷糖", "酥糖"]),
    "dried_fruit": ("果干", ["芒果干", "葡萄干", "草莓干", "蓝莓干", "猕猴桃干", "黄桃干"]),
}
FLAVORS = ["原味", "香辣", "奶香", "海盐"]
REPLENISH = {"nuts": 30, "meat": 20, "pastry": None, "candy": None, "dried_fruit": 45}
START = pd.Timestamp("2025-01-01")


@dataclass
class ShopWorld:
    products: pd.DataFrame  # sku, name, category_code, parent_category_code, brand, flavor, price
    purchases: pd.DataFrame  # customer_id, sku, ordered_at, order_id
    taste: dict[str, str]  # customer_id -> favourite category


def make_world(n_customers: int = 240, purchases_each: int = 14, seed: int = 7) -> ShopWorld:
    rng = np.random.default_rng(seed)
    rows = []
    for code, (cname, bases) in CATEGORIES.items():
        for b, base in enumerate(bases):
            for f, flavor in enumerate(FLAVORS[:3]):
                rows.append(
                    {
                        "sku": f"{code[:2].upper()}{b}{f}",
                        "name": f"良品铺子 {flavor} {base} {100 + 20 * f}g",
                        "category_code": code,
                        "category_name": cname,
                        "parent_category_code": "snacks",
                        "brand": "良品铺子",
                        "flavor": flavor,
                        "price": float(15 + 5 * b + 3 * f),
                        "replenish_days": REPLENISH[code],
                    }
                )
    products = pd.DataFrame(rows)
    by_cat = {c: products.loc[products.category_code == c, "sku"].to_numpy() for c in CATEGORIES}
    # within a category some products are much more popular than others
    weights = {c: rng.dirichlet(np.full(len(v), 0.6)) for c, v in by_cat.items()}
    cats = list(CATEGORIES)
    taste: dict[str, str] = {}
    events = []
    for u in range(n_customers):
        cid = f"C{u:09d}"
        fav = cats[u % len(cats)]
        taste[cid] = fav
        n = purchases_each + int(rng.integers(-4, 5))
        for e in range(n):
            cat = fav if rng.random() < 0.75 else cats[int(rng.integers(len(cats)))]
            sku = rng.choice(by_cat[cat], p=weights[cat])
            day = int(rng.integers(0, 365))
            events.append(
                {
                    "customer_id": cid,
                    "sku": str(sku),
                    "ordered_at": START + pd.Timedelta(days=day, hours=int(rng.integers(9, 21))),
                    "order_id": f"O{u:05d}{e // 2:03d}",
                }
            )
    purchases = pd.DataFrame(events)
    return ShopWorld(products=products, purchases=purchases, taste=taste)
