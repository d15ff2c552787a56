"""A small retail world for order tests: two stores, three SKUs, the channels, one clerk."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy.orm import Session

from omniretail.omnichannel.channel import service as channel_service
from omniretail.omnichannel.channel.schemas import ChannelCreate
from omniretail.omnichannel.order.schemas import OrderCreate
from omniretail.omnichannel.product import service as product_service
from omniretail.omnichannel.product.schemas import CategoryCreate, ProductCreate
from omniretail.omnichannel.staff import service as staff_service
from omniretail.omnichannel.staff.schemas import StaffCreate
from omniretail.omnichannel.store import service as store_service
from omniretail.omnichannel.store.schemas import StoreCreate


def retail_world(session: Session) -> None:
    store_service.upsert_stores(
        session,
        stores=[
            StoreCreate(code="S1", name="江汉路店", region="华中", province="湖北", city="武汉",
                        latitude=30.58, longitude=114.29),
            StoreCreate(code="S2", name="光谷店", region="华中", province="湖北", city="武汉",
                        latitude=30.51, longitude=114.40),
        ],
    )  # fmt: skip
    product_service.upsert_categories(
        session, categories=[CategoryCreate(code="NUTS", name="坚果")]
    )
    product_service.upsert_products(
        session,
        products=[
            ProductCreate(sku="A1", name="每日坚果", category_code="NUTS", price=Decimal("59.90")),
            ProductCreate(sku="A2", name="碧根果", category_code="NUTS", price=Decimal("33.30")),
            ProductCreate(sku="A3", name="夏威夷果", category_code="NUTS", price=Decimal("10.00")),
        ],
    )
    channel_service.upsert_channels(
        session,
        channels=[
            ChannelCreate(code="pos", name="门店收银", kind="offline"),
            ChannelCreate(code="miniprogram", name="微信小程序商城", kind="online"),
        ],
    )
    staff_service.upsert_staff(
        session, staff=[StaffCreate(staff_id="E1", name="李导购", role="clerk", store_code="S1")]
    )
    session.flush()


def order_in(**kw: object) -> OrderCreate:
    data: dict[str, object] = {
        "channel_code": "pos",
        "external_id": "T-0001",
        "origin": "pos",
        "store_code": "S1",
        "customer_id": "C000000001",
        "buyer": {"phone": "+8613800000001"},
        "lines": [{"sku": "A1", "quantity": 2}, {"sku": "A2", "quantity": 3}],
        "pricing": "list_price",
    }
    data.update(kw)
    return OrderCreate.model_validate(data)
