"""The std_ tables of docs/data-contract.md: columns, types and keys per entity kind.

The standardize step always produces every table with exactly these columns (plus
``fixes``, ``_batch_id`` and ``_row`` lineage), even when no source yields the entity, so
downstream steps can rely on them.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class EntityTable:
    table: str
    columns: dict[str, str]  # name → canonical SQL type
    keys: tuple[str, ...]  # unique within source (besides ``source``)
    grouped: bool = False  # several rows may build one record (aggregated by keys)


_CONSENT = dict.fromkeys(
    ("consent_sms", "consent_email", "consent_wechat", "consent_app_push"), "BOOLEAN"
)

IDENTITY = EntityTable(
    "std_identity_records",
    {
        "record_key": "VARCHAR",
        "source": "VARCHAR",
        "source_record_id": "VARCHAR",
        "member_id": "VARCHAR",
        "phone": "VARCHAR",
        "phone_masked": "VARCHAR",
        "email": "VARCHAR",
        "unionid": "VARCHAR",
        "openid": "VARCHAR",
        "platform_buyer_id": "VARCHAR",
        "wecom_external_userid": "VARCHAR",
        "name": "VARCHAR",
        "gender": "VARCHAR",
        "birthday": "DATE",
        "province": "VARCHAR",
        "city": "VARCHAR",
        "address": "VARCHAR",
        "country": "VARCHAR",
        "registered_at": "TIMESTAMP",
        "home_store_code": "VARCHAR",
        **_CONSENT,
        "observed_at": "TIMESTAMP",
    },
    ("record_key",),
    grouped=True,
)

LINK = EntityTable(
    "std_identity_links",
    {
        "source": "VARCHAR",
        "left_key": "VARCHAR",
        "right_key": "VARCHAR",
        "link_type": "VARCHAR",
        "observed_at": "TIMESTAMP",
    },
    ("left_key", "right_key"),
    grouped=True,
)

ORDER = EntityTable(
    "std_orders",
    {
        "source": "VARCHAR",
        "order_id": "VARCHAR",
        "record_key": "VARCHAR",
        "channel_code": "VARCHAR",
        "store_code": "VARCHAR",
        "staff_code": "VARCHAR",
        "ordered_at": "TIMESTAMP",
        "status": "VARCHAR",
        "fulfillment": "VARCHAR",
        "payment_method": "VARCHAR",
        "gross_amount": "DECIMAL(12,2)",
        "discount_amount": "DECIMAL(12,2)",
        "paid_amount": "DECIMAL(12,2)",
        "coupon_code": "VARCHAR",
        "currency": "VARCHAR",
        "country": "VARCHAR",
        # the live-session evidence (marketing.live): code typed or scanned, the tracked link
        # (or its query), the coupon batch a platform's export names
        "live_code": "VARCHAR",
        "live_link": "VARCHAR",
        "coupon_batch": "VARCHAR",
    },
    ("order_id",),
    grouped=True,
)

ORDER_LINE = EntityTable(
    "std_order_lines",
    {
        "source": "VARCHAR",
        "order_id": "VARCHAR",
        "line_no": "INTEGER",
        "sku": "VARCHAR",
        "product_name": "VARCHAR",
        "quantity": "DECIMAL(12,3)",
        "unit_price": "DECIMAL(12,2)",
        "discount": "DECIMAL(12,2)",
        "amount": "DECIMAL(12,2)",
        "line_kind": "VARCHAR",
    },
    ("order_id", "line_no"),
)

EVENT = EntityTable(
    "std_events",
    {
        "source": "VARCHAR",
        "event_id": "VARCHAR",
        "record_key": "VARCHAR",
        "event_type": "VARCHAR",
        "occurred_at": "TIMESTAMP",
        "channel_code": "VARCHAR",
        "store_code": "VARCHAR",
        "sku": "VARCHAR",
        "properties": "JSON",
    },
    ("event_id",),
)

REVIEW = EntityTable(
    "std_reviews",
    {
        "source": "VARCHAR",
        "review_id": "VARCHAR",
        "record_key": "VARCHAR",
        "order_id": "VARCHAR",
        "sku": "VARCHAR",
        "rating": "INTEGER",
        "text": "VARCHAR",
        "created_at": "TIMESTAMP",
        "store_code": "VARCHAR",
    },
    ("review_id",),
)

STORE = EntityTable(
    "dim_store",
    {
        "store_code": "VARCHAR",
        "name": "VARCHAR",
        "store_type": "VARCHAR",  # the format: street, mall, community ...
        "province": "VARCHAR",
        "city": "VARCHAR",
        "region": "VARCHAR",
        "latitude": "DOUBLE",
        "longitude": "DOUBLE",
        "opened_on": "DATE",
        "phone": "VARCHAR",
        "store_kind": "VARCHAR",  # direct, franchise, warehouse, pickup_point
        "district": "VARCHAR",
        "address": "VARCHAR",
        "opening_hours": "VARCHAR",  # HH:MM-HH:MM every day, or a JSON {weekday: hours}
        "area_m2": "DOUBLE",
        "meituan_poi_id": "VARCHAR",  # platform shop ids, to resolve delivery orders' stores
        "eleme_shop_id": "VARCHAR",
    },
    ("store_code",),
    grouped=True,
)

CHANNEL = EntityTable(
    "dim_channel",
    {
        "channel_code": "VARCHAR",
        "name": "VARCHAR",
        "name_en": "VARCHAR",
        "kind": "VARCHAR",  # online, offline, platform
        "domain": "VARCHAR",
        "platform": "VARCHAR",
        "store_code": "VARCHAR",  # the store a store's own channel belongs to
    },
    ("channel_code",),
    grouped=True,
)

PRODUCT = EntityTable(
    "dim_product",
    {
        "sku": "VARCHAR",
        "name": "VARCHAR",
        "category_code": "VARCHAR",
        "category_name": "VARCHAR",
        "parent_category_code": "VARCHAR",
        "brand": "VARCHAR",
        "flavor": "VARCHAR",
        "price": "DECIMAL(12,2)",
        "launch_date": "DATE",
        "replenish_days": "INTEGER",
        "barcode": "VARCHAR",
        "pack_size": "INTEGER",
        "unit": "VARCHAR",
    },
    ("sku",),
    grouped=True,
)

CATEGORY = EntityTable(
    "dim_category",
    {
        "category_code": "VARCHAR",
        "name": "VARCHAR",
        "name_en": "VARCHAR",
        "parent_code": "VARCHAR",
        "replenish_days": "INTEGER",
    },
    ("category_code",),
    grouped=True,
)

STAFF = EntityTable(
    "dim_staff",
    {
        "staff_code": "VARCHAR",
        "name": "VARCHAR",
        "store_code": "VARCHAR",
        "role": "VARCHAR",  # manager, cashier, clerk, leader, other
        "wecom_userid": "VARCHAR",
        "phone": "VARCHAR",
    },
    ("staff_code",),
    grouped=True,
)

TRAFFIC_COUNT = EntityTable(  # a people counter's bucket (insight.traffic checks it against doors)
    "std_traffic_counts",
    {
        "source": "VARCHAR",
        "store_code": "VARCHAR",
        "door_code": "VARCHAR",
        "bucket_start": "TIMESTAMP",  # the store's wall clock (chain time zone)
        "in_count": "INTEGER",
        "out_count": "INTEGER",
        "passers_by": "INTEGER",  # counted outside the door, where the counter can
    },
    ("store_code", "door_code", "bucket_start"),
)

TRAFFIC_DOOR = EntityTable(  # the counters' doors per store (a count from another door is flagged)
    "dim_traffic_door",
    {
        "store_code": "VARCHAR",
        "door_code": "VARCHAR",
        "name": "VARCHAR",
        "counts_passers_by": "BOOLEAN",
    },
    ("store_code", "door_code"),
    grouped=True,
)

LOYALTY_BALANCE = EntityTable(  # a member's tier and points in the source's loyalty system
    "std_loyalty_balances",  # (the POS member export): opening balances of the points ledger
    {
        "source": "VARCHAR",
        "record_key": "VARCHAR",
        "tier_name": "VARCHAR",  # as the source names it (金卡); matched to a tier's name or code
        "points": "BIGINT",
    },
    ("record_key",),
    grouped=True,
)

ENTITY_TABLES: dict[str, EntityTable] = {
    "identity": IDENTITY,
    "identity_link": LINK,
    "order": ORDER,
    "order_line": ORDER_LINE,
    "event": EVENT,
    "review": REVIEW,
    "store": STORE,
    "channel": CHANNEL,
    "product": PRODUCT,
    "category": CATEGORY,
    "staff": STAFF,
    "traffic_count": TRAFFIC_COUNT,
    "traffic_door": TRAFFIC_DOOR,
    "loyalty_balance": LOYALTY_BALANCE,
}

MASTER_KINDS = frozenset({"store", "channel", "product", "category", "staff", "traffic_door"})
