"""Master-data services (stores, products, channels, staff) on SQLite and PostgreSQL."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy.orm import Session

from omniretail.omnichannel.channel import service as channel_service
from omniretail.omnichannel.channel.errors import UnknownChannel
from omniretail.omnichannel.channel.schemas import ChannelCreate
from omniretail.omnichannel.product import service as product_service
from omniretail.omnichannel.product.errors import UnknownProduct
from omniretail.omnichannel.product.schemas import CategoryCreate, ProductCreate
from omniretail.omnichannel.staff import service as staff_service
from omniretail.omnichannel.staff.errors import UnknownStaff
from omniretail.omnichannel.staff.schemas import StaffCreate
from omniretail.omnichannel.store import service as store_service
from omniretail.omnichannel.store.errors import UnknownStore
from omniretail.omnichannel.store.schemas import StoreCreate

WUHAN = (30.593, 114.305)


def _stores() -> list[StoreCreate]:
    return [
        StoreCreate(code="S1", name="江汉路店", kind="direct", store_type="street", region="华中",
                    province="湖北", city="武汉", district="江汉区", latitude=30.58,
                    longitude=114.29, opening_hours="09:00-22:00", area_m2=80),
        StoreCreate(code="S2", name="光谷店", kind="franchise", store_type="mall", region="华中",
                    province="湖北", city="武汉", district="洪山区", latitude=30.51,
                    longitude=114.40),
        StoreCreate(code="W1", name="武汉仓", kind="warehouse", region="华中", province="湖北",
                    city="武汉", latitude=30.65, longitude=114.25),
        StoreCreate(code="S3", name="徐家汇店", kind="direct", region="华东", province="上海",
                    city="上海", latitude=31.19, longitude=121.44,
                    opening_hours={"mon": "10:00-22:00", "sun": "closed"}),
    ]  # fmt: skip


def test_stores_by_code_region_kind_and_distance(session: Session) -> None:
    r = store_service.upsert_stores(session, stores=_stores())
    assert (r.created, r.updated, r.unchanged) == (4, 0, 0)
    s1 = store_service.get_store(session, code=" S1 ")
    assert (s1.region, s1.province, s1.city, s1.district) == ("华中", "湖北", "武汉", "江汉区")
    assert s1.opening_hours is not None
    assert s1.opening_hours["sun"] == "09:00-22:00"
    assert s1.area_m2 == 80
    assert store_service.get_store(session, code="S3").opening_hours == {
        "mon": "10:00-22:00",
        "sun": "closed",
    }
    with pytest.raises(UnknownStore) as exc:
        store_service.get_store(session, code="S9")
    assert exc.value.field == "store_code"
    assert exc.value.status == 404
    assert [s.code for s in store_service.list_stores(session, region="华中")] == ["S1", "S2", "W1"]
    assert [s.code for s in store_service.list_stores(session, kind="warehouse")] == ["W1"]

    near = store_service.stores_near(session, lat=WUHAN[0], lng=WUHAN[1], radius_km=15)
    assert [s.code for s, _ in near] == ["S1", "W1", "S2"]  # nearest first, Shanghai far away
    kms = [km for _, km in near]
    assert kms == sorted(kms)
    assert 1 < kms[0] < 3
    assert kms[-1] < 15
    assert store_service.stores_near(session, lat=WUHAN[0], lng=WUHAN[1], radius_km=1) == []

    # the same master data again changes nothing; a changed row is an update, ids stay
    ids = store_service.store_ids_by_code(session)
    again = store_service.upsert_stores(session, stores=_stores())
    assert (again.created, again.updated, again.unchanged) == (0, 0, 4)
    moved = _stores()[0].model_copy(update={"name": "江汉路旗舰店", "area_m2": 120.0})
    r2 = store_service.upsert_stores(session, stores=[moved])
    assert (r2.created, r2.updated) == (0, 1)
    assert store_service.store_ids_by_code(session) == ids
    assert store_service.get_store(session, code="S1").name == "江汉路旗舰店"


def test_bad_store_records_are_refused_with_the_field() -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="opening_hours"):
        StoreCreate(code="X", name="x", opening_hours="9-22")
    with pytest.raises(ValidationError, match="kind"):
        StoreCreate(code="X", name="x", kind="shop")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="latitude"):
        StoreCreate(code="X", name="x", latitude=91)


def test_products_categories_and_barcodes(session: Session) -> None:
    product_service.upsert_categories(
        session,
        categories=[
            CategoryCreate(code="C01", name="坚果炒货", replenish_days=30),
            CategoryCreate(code="C0101", name="每日坚果", parent_code="C01"),
        ],
    )
    r = product_service.upsert_products(
        session,
        products=[
            ProductCreate(sku="100001", name="每日坚果 25g×30", category_code="C0101",
                          price=Decimal("129.90"), barcode="6901200000011", pack_size=12,
                          unit="盒"),
            ProductCreate(sku="100002", name="新品", category_code="C99", price=Decimal("9.9")),
        ],
    )  # fmt: skip
    assert r.created == 2
    p = product_service.get_product(session, sku="100001")
    assert (p.category_code, p.parent_category_code, p.pack_size, p.price_fen) == (
        "C0101",
        "C01",
        12,
        12990,
    )
    assert product_service.get_product_by_barcode(session, barcode="6901200000011").sku == "100001"
    assert product_service.get_product(session, sku="100002").category_code == "C99"  # kept
    with pytest.raises(UnknownProduct) as exc:
        product_service.get_product(session, sku="404")
    assert exc.value.field == "sku"
    with pytest.raises(UnknownProduct) as exc:
        product_service.get_product_by_barcode(session, barcode="000")
    assert exc.value.field == "barcode"
    assert product_service.sku_categories(session, skus={"100001"}) == {"100001": {"C0101", "C01"}}
    assert [x.sku for x in product_service.list_products(session, category="C01")] == ["100001"]


def test_channels_are_found_in_any_spelling_and_belong_to_stores(session: Session) -> None:
    store_service.upsert_stores(session, stores=_stores())
    channel_service.upsert_channels(
        session,
        channels=[
            ChannelCreate(code="POS", name="门店收银", kind="offline"),
            ChannelCreate(code="tmall", name="天猫旗舰店", kind="platform", domain="public"),
            ChannelCreate(code="s1_wecom", name="江汉路店企业微信", kind="online",
                          store_code="S1"),
        ],
    )  # fmt: skip
    assert channel_service.get_channel(session, code=" pos ").code == "pos"
    assert channel_service.get_channel(session, code="ＰＯＳ").kind == "offline"
    assert channel_service.get_channel(session, code="S1_WeCom").store_code == "S1"
    assert [c.code for c in channel_service.list_channels(session, kind="platform")] == ["tmall"]
    with pytest.raises(UnknownChannel) as exc:
        channel_service.get_channel(session, code="wechat_live")
    assert exc.value.field == "channel_code"
    with pytest.raises(UnknownStore):
        channel_service.upsert_channels(
            session, channels=[ChannelCreate(code="x", name="x", kind="online", store_code="S9")]
        )
    assert channel_service.find_channel(session, code="x") is None  # nothing half-applied


def test_staff_by_employee_number_wecom_id_and_store(session: Session) -> None:
    store_service.upsert_stores(session, stores=_stores())
    staff_service.upsert_staff(
        session,
        staff=[
            StaffCreate(staff_id="E001", name="王店长", role="manager", store_code="S1",
                        wecom_userid="wang"),
            StaffCreate(staff_id="E002", name="李导购", role="clerk", store_code="S1",
                        wecom_userid="li", phone="13800000000"),
            StaffCreate(staff_id="E003", name="赵导购", role="clerk", store_code="S2"),
        ],
    )  # fmt: skip
    e2 = staff_service.get_staff(session, staff_id="E002")
    assert (e2.role, e2.store_code, e2.wecom_userid) == ("clerk", "S1", "li")
    assert staff_service.get_staff_by_wecom(session, wecom_userid="wang").staff_id == "E001"
    assert [s.staff_id for s in staff_service.list_staff(session, store_code="S1")] == [
        "E001",
        "E002",
    ]
    assert [s.staff_id for s in staff_service.list_staff(session, role="clerk")] == [
        "E002",
        "E003",
    ]
    with pytest.raises(UnknownStaff) as exc:
        staff_service.get_staff(session, staff_id="E404")
    assert exc.value.field == "staff_id"
    with pytest.raises(UnknownStore):
        staff_service.upsert_staff(
            session, staff=[StaffCreate(staff_id="E009", name="x", store_code="S9")]
        )
    with pytest.raises(UnknownStore):
        staff_service.list_staff(session, store_code="S9")
