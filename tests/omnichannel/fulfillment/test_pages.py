"""The store console (zh first): orders by state, detail with actions, verify a code or its
QR content, the HQ KPIs, stock; a store user only sees their store."""

from __future__ import annotations

import re
from typing import Any

from omniretail.omnichannel.fulfillment import codes
from omniretail.omnichannel.fulfillment import service as ful
from omniretail.omnichannel.fulfillment.schemas import FulfilmentCreate, OrderLineIn
from omniretail.platform import db
from tests.omnichannel.inventory.factories import world
from tests.web.conftest import csrf_from


def _order(ref: str, store: str) -> FulfilmentCreate:
    return FulfilmentCreate(
        order_ref=ref,
        channel="miniprogram",
        customer_id="C1",
        mode="pickup",
        pickup_store=store,
        lines=[OrderLineIn(line_ref=f"{ref}-1", sku="SKU1", quantity=1)],
    )


def _clerk_of_s1(s: Any) -> None:
    """Store S1 in the store master and a clerk (``clerk`` / ``clerk-pass-1``) limited to it."""
    from omniretail.omnichannel.store.models import City, Store
    from omniretail.platform.auth import service as auth

    city = City(code="310000", name="上海", province="上海")
    s.add(city)
    s.flush()
    store = Store(code="S1", name="门店A", store_type="street", city_id=city.id)
    s.add(store)
    s.flush()
    auth.create_user(
        s, username="clerk", password="clerk-pass-1", role="clerk", store_ids=[store.id]
    )


def test_store_console_pickup(client: Any) -> None:
    with db.session_scope() as s:
        world(s)
        [f] = ful.place(s, data=_order("WX1", "S1"))
        ful.place(s, data=_order("WX2", "S2"))
    page = client.get("/omnichannel/fulfilment?store=S1")
    assert page.status_code == 200
    assert "门店履约" in page.text
    assert 'data-state="allocated"' in page.text
    detail = client.get(f"/omnichannel/fulfilment/{f.id}")
    token = csrf_from(detail.text)
    assert "拣货单" in detail.text
    for event in ("start_picking", "mark_ready"):
        r = client.post(
            f"/omnichannel/fulfilment/{f.id}/do/{event}",
            data={"csrf_token": token},
            follow_redirects=False,
        )
        assert r.status_code == 303
    again = client.post(
        f"/omnichannel/fulfilment/{f.id}/do/start_picking", data={"csrf_token": token}
    )
    assert "不能执行" in again.text
    detail = client.get(f"/omnichannel/fulfilment/{f.id}").text
    code = re.search(r'data-testid="pickup-code">(\d{8})<', detail)
    assert code is not None
    assert "<svg" in detail
    wrong = client.post(
        "/omnichannel/fulfilment/verify",
        data={"csrf_token": token, "store": "S1", "code": "11112222", "terminal": "pad-1"},
    )
    assert wrong.status_code == 422
    assert "提货码错误" in wrong.text
    ok = client.post(
        "/omnichannel/fulfilment/verify",
        data={
            "csrf_token": token,
            "store": "S1",
            "terminal": "pad-1",
            "code": codes.qr_content("S1", code.group(1)),
        },
    )
    assert ok.status_code == 200
    assert 'data-testid="handed-over"' in ok.text
    kpi = client.get("/omnichannel/fulfilment/kpi").text
    assert "自提率" in kpi
    assert "100.0%" in kpi
    stock = client.get("/omnichannel/stock?store=S1&sku=SKU1")
    assert stock.status_code == 200
    assert 'data-testid="availability"' in stock.text
    assert client.get("/omnichannel/fulfilment/picklist?store=S2").status_code == 200
    r = client.post(
        "/omnichannel/fulfilment/track", data={"csrf_token": token}, follow_redirects=False
    )
    assert r.status_code == 303
    assert r.headers["location"] == "/omnichannel/fulfilment?tracked=0"


def test_store_user_sees_only_their_store(client: Any) -> None:
    with db.session_scope() as s:
        world(s)
        _clerk_of_s1(s)
        [mine] = ful.place(s, data=_order("WX1", "S1"))
        [other] = ful.place(s, data=_order("WX2", "S2"))
    client.post("/api/v1/auth/logout")
    r = client.post("/api/v1/auth/login", json={"username": "clerk", "password": "clerk-pass-1"})
    assert r.status_code == 200
    client.headers["X-CSRF-Token"] = r.json()["csrf_token"]
    assert client.get(f"/omnichannel/fulfilment/{mine.id}").status_code == 200
    assert client.get(f"/omnichannel/fulfilment/{other.id}").status_code == 403
    listing = client.get("/omnichannel/fulfilment").text
    assert "WX1" in listing
    assert "WX2" not in listing
    assert client.get(f"/api/v1/fulfilments/{other.id}").status_code == 403


def test_parcel_point_in_the_console(client: Any) -> None:
    """快递代收点: the store packs and sends the parcel, records the point's collection code
    from its notice (a wrong one refused in Chinese), and sees where and under which code it
    waits."""
    from omniretail.omnichannel.store import service as store_service
    from omniretail.omnichannel.store.schemas import StoreCreate

    with db.session_scope() as s:
        world(s)
        store_service.create_store(
            s,
            data=StoreCreate(
                code="P1", name="菜鸟驿站·人民广场", kind="pickup_point", latitude=31.229,
                longitude=121.475,
            ),
        )  # fmt: skip
        [f] = ful.place(
            s,
            data=FulfilmentCreate(
                order_ref="PP1",
                channel="miniprogram",
                customer_id="C1",
                mode="pickup",
                pickup_kind="parcel_point",
                parcel_point="P1",
                lines=[OrderLineIn(line_ref="1", sku="SKU1", quantity=1)],
            ),
        )
        ful.start_picking(s, fulfilment_id=f.id)
        ful.pack(s, fulfilment_id=f.id)
    page = client.get(f"/omnichannel/fulfilment/{f.id}")
    assert "快递代收点自提" in page.text
    assert 'data-testid="do-send_to_point"' in page.text
    assert "菜鸟驿站·人民广场" in page.text
    token = csrf_from(page.text)
    url = f"/omnichannel/fulfilment/{f.id}/do"
    r = client.post(f"{url}/send_to_point", data={"csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303
    page = client.get(f"/omnichannel/fulfilment/{f.id}").text
    assert "运往代收点" in page
    assert 'data-testid="do-arrive_at_point"' in page
    bad = client.post(f"{url}/arrive_at_point", data={"csrf_token": token, "point_code": "a b"})
    assert "取件码不正确" in bad.text
    client.post(f"{url}/arrive_at_point", data={"csrf_token": token, "point_code": "3-2-1045"})
    page = client.get(f"/omnichannel/fulfilment/{f.id}").text
    assert "已到代收点待取" in page
    assert 'data-testid="point-code-shown">3-2-1045<' in page
    assert 'data-testid="do-collect_at_point"' in page


def test_the_area_reads_as_names_and_every_page_is_a_tab_away(client: Any) -> None:
    """Cards and the pick list name products and stores (not SKU and store codes); each page of
    全渠道 carries the area's tabs, and the pick list opens from its tab without a store in the
    address: it asks which store for a user of several, and opens a one-store user's own."""
    with db.session_scope() as s:
        world(s)
        ful.place(s, data=_order("WX1", "S1"))
        _clerk_of_s1(s)
    listing = client.get("/omnichannel/fulfilment").text
    assert "商品SKU1 × 1" in listing
    assert "门店A" in listing
    for path in (
        "/omnichannel",
        "/omnichannel/orders",
        "/omnichannel/fulfilment",
        "/omnichannel/fulfilment/kpi",
        "/omnichannel/fulfilment/verify",
        "/omnichannel/stock",
        "/omnichannel/fulfilment/picklist",
    ):
        page = client.get(path)
        assert page.status_code == 200, path
        assert 'data-testid="area-tabs"' in page.text, path
        assert 'aria-current="page"' in page.text, path
    assert 'data-testid="choose-store"' in client.get("/omnichannel/fulfilment/picklist").text
    client.post("/api/v1/auth/logout")
    r = client.post("/api/v1/auth/login", json={"username": "clerk", "password": "clerk-pass-1"})
    assert r.status_code == 200
    own = client.get("/omnichannel/fulfilment/picklist")
    assert own.status_code == 200
    assert 'data-testid="by-sku"' in own.text
    assert "商品SKU1" in own.text
    assert client.get("/omnichannel/fulfilment/picklist?store=S2").status_code == 403
