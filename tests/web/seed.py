"""A small deterministic retail world in the analytics contract tables (docs/data-contract.md):
``dim_store``, ``dim_channel``, ``customers`` and ``orders``, written to a DuckDB file.

Used by the console's unit tests and by the browser tests' published snapshot. The rows are
returned too, so tests compute what the dashboard must show independently of its SQL.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

STORES: list[dict[str, Any]] = [
    # store_code, name, store_type, province, city, region, latitude, longitude, opened_on
    {
        "store_code": "S001",
        "name": "武汉江汉路店",
        "store_type": "street",
        "province": "湖北省",
        "city": "武汉市",
        "region": "华中",
        "latitude": 30.583,
        "longitude": 114.283,
        "opened_on": date(2019, 5, 1),
    },
    {
        "store_code": "S002",
        "name": "武汉光谷店",
        "store_type": "mall",
        "province": "湖北省",
        "city": "武汉市",
        "region": "华中",
        "latitude": 30.507,
        "longitude": 114.400,
        "opened_on": date(2020, 9, 1),
    },
    {
        "store_code": "S003",
        "name": "广州天河店",
        "store_type": "mall",
        "province": "广东省",
        "city": "广州市",
        "region": "华南",
        "latitude": 23.135,
        "longitude": 113.328,
        "opened_on": date(2020, 1, 1),
    },
    {
        "store_code": "S004",
        "name": "深圳南山店",
        "store_type": "community",
        "province": "广东省",
        "city": "深圳市",
        "region": "华南",
        "latitude": 22.533,
        "longitude": 113.930,
        "opened_on": date(2021, 3, 1),
    },
    {
        "store_code": "S005",
        "name": "上海南京路店",
        "store_type": "flagship",
        "province": "上海市",
        "city": "上海市",
        "region": "华东",
        "latitude": 31.235,
        "longitude": 121.475,
        "opened_on": date(2018, 6, 1),
    },
    {
        "store_code": "S006",
        "name": "杭州西湖店",
        "store_type": "street",
        "province": "浙江省",
        "city": "杭州市",
        "region": "华东",
        "latitude": 30.259,
        "longitude": 120.130,
        "opened_on": date(2021, 7, 1),
    },
    {
        "store_code": "S007",
        "name": "成都春熙路店",
        "store_type": "street",
        "province": "四川省",
        "city": "成都市",
        "region": "西南",
        "latitude": 30.657,
        "longitude": 104.080,
        "opened_on": date(2022, 4, 1),
    },
    {
        "store_code": "S008",
        "name": "南宁万象城店",
        "store_type": "mall",
        "province": "广西壮族自治区",
        "city": "南宁市",
        "region": "华南",
        "latitude": 22.817,
        "longitude": 108.366,
        "opened_on": date(2023, 1, 1),
    },
]

CHANNELS: list[dict[str, Any]] = [
    {
        "channel_code": "POS",
        "name": "门店收银",
        "name_en": "Store POS",
        "kind": "offline",
        "domain": "private",
        "platform": "pos",
    },
    {
        "channel_code": "MINIAPP",
        "name": "微信小程序",
        "name_en": "WeChat mini-program",
        "kind": "online",
        "domain": "private",
        "platform": "wechat",
    },
    {
        "channel_code": "TMALL",
        "name": "天猫旗舰店",
        "name_en": "Tmall flagship",
        "kind": "online",
        "domain": "public",
        "platform": "tmall",
    },
    {
        "channel_code": "MEITUAN",
        "name": "美团外卖",
        "name_en": "Meituan delivery",
        "kind": "online",
        "domain": "public",
        "platform": "meituan",
    },
    {
        "channel_code": "WECOM",
        "name": "企微导购",
        "name_en": "WeCom clerks",
        "kind": "online",
        "domain": "private",
        "platform": "wecom",
    },
]

FIRST_DAY = date(2026, 1, 1)
LAST_DAY = date(2026, 3, 31)


@dataclass
class Seed:
    stores: list[dict[str, Any]] = field(default_factory=list)
    channels: list[dict[str, Any]] = field(default_factory=list)
    customers: list[dict[str, Any]] = field(default_factory=list)
    orders: list[dict[str, Any]] = field(default_factory=list)

    def paid(self, start: date = FIRST_DAY, end: date = LAST_DAY) -> list[dict[str, Any]]:
        return [
            o
            for o in self.orders
            if o["status"] == "paid" and start <= o["ordered_at"].date() <= end
        ]


def make_seed(seed: int = 2026, customers: int = 120) -> Seed:
    rng = random.Random(seed)
    data = Seed(stores=[dict(s) for s in STORES], channels=[dict(c) for c in CHANNELS])
    for i in range(1, customers + 1):
        store = rng.choice(STORES)
        data.customers.append(
            {
                "customer_id": f"C{i:09d}",
                "name": f"顾客{i}",
                "gender": rng.choice(["F", "M", None]),
                "birthday": None,
                "phone": f"+86138{i:08d}",
                "email": None,
                "province": store["province"],
                "city": store["city"],
                "home_store_code": store["store_code"],
                "registered_at": datetime(2025, 6, 1) + timedelta(days=rng.randrange(300)),
            }
        )
    n = 0
    day = FIRST_DAY
    while day <= LAST_DAY:
        weekend = day.weekday() >= 5
        for _ in range(rng.randint(6, 10) + (4 if weekend else 0)):
            n += 1
            channel = rng.choices(CHANNELS, weights=[50, 20, 12, 12, 6])[0]["channel_code"]
            store = None if channel == "TMALL" else rng.choice(STORES)["store_code"]
            customer = rng.choice(data.customers)["customer_id"] if rng.random() < 0.8 else None
            gross = Decimal(rng.randrange(1500, 30000)) / 100
            discount = (gross * Decimal(rng.choice([0, 0, 5, 10])) / 100).quantize(Decimal("0.01"))
            status = rng.choices(["paid", "cancelled", "returned"], weights=[90, 6, 4])[0]
            data.orders.append(
                {
                    "source": channel.lower(),
                    "order_id": f"O{n:07d}",
                    "customer_id": customer,
                    "record_key": f"{channel.lower()}:{customer}" if customer else None,
                    "channel_code": channel,
                    "store_code": store,
                    "staff_code": None,
                    "ordered_at": datetime.combine(day, datetime.min.time())
                    + timedelta(minutes=rng.randrange(8 * 60, 22 * 60)),
                    "status": status,
                    "fulfillment": "in_store" if channel == "POS" else "delivery",
                    "payment_method": rng.choice(["wechat_pay", "alipay", "card", "cash"]),
                    "gross_amount": gross,
                    "discount_amount": discount,
                    "paid_amount": gross - discount,
                    "coupon_code": None,
                }
            )
        day += timedelta(days=1)
    return data


_DDL = {
    "dim_store": "store_code VARCHAR, name VARCHAR, store_type VARCHAR, province VARCHAR, "
    "city VARCHAR, region VARCHAR, latitude DOUBLE, longitude DOUBLE, opened_on DATE",
    "dim_channel": "channel_code VARCHAR, name VARCHAR, name_en VARCHAR, kind VARCHAR, "
    "domain VARCHAR, platform VARCHAR",
    "customers": "customer_id VARCHAR, name VARCHAR, gender VARCHAR, birthday DATE, "
    "phone VARCHAR, email VARCHAR, province VARCHAR, city VARCHAR, home_store_code VARCHAR, "
    "registered_at TIMESTAMP",
    "orders": "source VARCHAR, order_id VARCHAR, customer_id VARCHAR, record_key VARCHAR, "
    "channel_code VARCHAR, store_code VARCHAR, staff_code VARCHAR, ordered_at TIMESTAMP, "
    "status VARCHAR, fulfillment VARCHAR, payment_method VARCHAR, "
    "gross_amount DECIMAL(12,2), discount_amount DECIMAL(12,2), paid_amount DECIMAL(12,2), "
    "coupon_code VARCHAR",
}


def write_snapshot(
    path: Path, data: Seed, *, tables: tuple[str, ...] | None = None, orders_table: str = "orders"
) -> Path:
    """Write the seed's tables to a DuckDB file (``orders_table="std_orders"`` for a snapshot
    from before identity resolution)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = {
        "dim_store": data.stores,
        "dim_channel": data.channels,
        "customers": data.customers,
        "orders": data.orders,
    }
    con = duckdb.connect(str(path))
    try:
        for name, ddl in _DDL.items():
            if tables is not None and name not in tables:
                continue
            target = orders_table if name == "orders" else name
            if target == "std_orders":  # before identity resolution: no customer_id yet
                ddl = ddl.replace("customer_id VARCHAR, ", "")
            columns = [c.split()[0] for c in ddl.split(", ")]
            con.execute(f"CREATE OR REPLACE TABLE {target} ({ddl})")
            if rows[name]:
                arrow = pa.Table.from_pylist([{c: r.get(c) for c in columns} for r in rows[name]])
                con.register("_seed_rows", arrow)
                con.execute(f"INSERT INTO {target} SELECT {', '.join(columns)} FROM _seed_rows")
                con.unregister("_seed_rows")
    finally:
        con.close()
    return path
