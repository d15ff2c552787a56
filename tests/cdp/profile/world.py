"""A small resolved world for profile tests: identity records, orders and events in the
analytics store, stores and users in the operational store, the snapshot published."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import pyarrow as pa

from omniretail.omnichannel.store.models import City, Store
from omniretail.platform import db
from omniretail.platform.auth import service as auth
from omniretail.platform.engine import DuckDBEngine, open_engine, publish_snapshot
from tests.cdp.identity.factories import record, run_steps

PHONE = "+8613811110001"

RECORDS = [
    record(
        "pos",
        "M1",
        member_id="M1",
        phone=PHONE,
        name="张三",
        birthday=None,
        home_store_code="S001",
        city="武汉",
        consent_sms=True,
        observed_at=datetime(2025, 3, 1),
        registered_at=datetime(2023, 1, 5),
    ),
    record(
        "miniprogram",
        "o1",
        openid="o1",
        unionid="u1",
        phone=PHONE,
        name="三三",
        city="长沙",
        consent_sms=False,
        consent_wechat=True,
        observed_at=datetime(2025, 6, 1),
    ),
    record(
        "wecom",
        "w1",
        wecom_external_userid="w1",
        unionid="u1",
        name="张三 ",
        observed_at=datetime(2025, 1, 1),
    ),
    record(
        "tmall",
        "buyer1",
        platform_buyer_id="buyer1",
        email="ZS@Example.com",
        phone=PHONE,
        name="张三",
        address="湖北省武汉市江汉路1号",
    ),
    record(
        "pos",
        "M2",
        member_id="M2",
        phone="+8613922220002",
        name="李四",
        home_store_code="S002",
        city="长沙",
        email="lisi@qq.com",
    ),
]


def _orders() -> tuple[pa.Table, pa.Table]:
    orders = []
    for i in range(30):
        orders.append(
            {
                "source": "pos",
                "order_id": f"T{i:03d}",
                "record_key": "pos:M1",
                "channel_code": "pos",
                "store_code": "S001",
                "staff_code": None,
                "ordered_at": datetime(2025, 1, 1 + i % 28, 10),
                "status": "paid",
                "fulfillment": "in_store",
                "payment_method": "wechat",
                "gross_amount": Decimal("20.00"),
                "discount_amount": Decimal("0.00"),
                "paid_amount": Decimal("20.00"),
                "coupon_code": None,
            }
        )
    orders.append(
        {
            **orders[0],
            "source": "tmall",
            "order_id": "TM1",
            "record_key": "tmall:buyer1",
            "channel_code": "tmall",
            "store_code": None,
            "ordered_at": datetime(2025, 6, 18, 20),
            "status": "returned",
        }
    )
    events = [
        {
            "source": "miniprogram",
            "event_id": f"e{i}",
            "record_key": "miniprogram:o1",
            "event_type": "product_view",
            "occurred_at": datetime(2025, 7, 1, 9, i),
            "channel_code": "miniprogram",
            "store_code": None,
            "sku": "100001",
            "properties": "{}",
        }
        for i in range(5)
    ]
    dec = pa.decimal128(12, 2)
    order_schema = pa.schema(
        [
            ("source", pa.string()),
            ("order_id", pa.string()),
            ("record_key", pa.string()),
            ("channel_code", pa.string()),
            ("store_code", pa.string()),
            ("staff_code", pa.string()),
            ("ordered_at", pa.timestamp("us")),
            ("status", pa.string()),
            ("fulfillment", pa.string()),
            ("payment_method", pa.string()),
            ("gross_amount", dec),
            ("discount_amount", dec),
            ("paid_amount", dec),
            ("coupon_code", pa.string()),
        ]
    )
    event_schema = pa.schema(
        [
            ("source", pa.string()),
            ("event_id", pa.string()),
            ("record_key", pa.string()),
            ("event_type", pa.string()),
            ("occurred_at", pa.timestamp("us")),
            ("channel_code", pa.string()),
            ("store_code", pa.string()),
            ("sku", pa.string()),
            ("properties", pa.string()),
        ]
    )
    return pa.Table.from_pylist(orders, order_schema), pa.Table.from_pylist(events, event_schema)


def build(users: bool = True, records: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """Operational store (migrated by the caller): stores; analytics: the resolved world
    (``records`` instead of ``RECORDS`` when given)."""
    with db.session_scope() as s:
        city = City(code="420100", name="武汉", province="湖北")
        s.add(city)
        s.flush()
        stores = {}
        for code in ("S001", "S002"):
            store = Store(code=code, name=f"门店{code}", store_type="street", city_id=city.id)
            s.add(store)
            s.flush()
            stores[code] = store.id
        if users:
            auth.create_user(s, username="ana", password="analyst-pass-1", role="analyst")
            auth.create_user(
                s,
                username="mgr1",
                password="manager-pass-1",
                role="store_manager",
                store_ids=[stores["S001"]],
            )
    engine = open_engine("duckdb")
    try:
        assert isinstance(engine, DuckDBEngine)
        orders, events = _orders()
        engine.register_arrow("std_orders", orders)
        engine.register_arrow("std_events", events)
    finally:
        engine.close()
    rows = RECORDS if records is None else records
    out = run_steps(rows, "identity", "unify", "publish_customers")
    publish_snapshot()
    return {"stores": stores, "steps": out}


def login(username: str, password: str):  # type: ignore[no-untyped-def]
    """A fresh API client logged in as ``username``."""
    from fastapi.testclient import TestClient

    from omniretail.web.app import create_app

    c = TestClient(create_app())
    r = c.post("/api/v1/auth/login", json={"username": username, "password": password})
    assert r.status_code == 200, r.text
    c.headers["X-CSRF-Token"] = r.json()["csrf_token"]
    return c
