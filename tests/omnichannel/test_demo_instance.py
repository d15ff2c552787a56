"""A fresh demo instance (``omniretail demo``) has stores, channels, products and staff in the
operational store, and its store manager sees the store's customers with no manual step."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from omniretail.care.desk.models import Ticket
from omniretail.cdp.profile.models import Customer
from omniretail.cli.main import app
from omniretail.marketing.live import service as live_service
from omniretail.marketing.live.models import LiveSession
from omniretail.omnichannel.channel import service as channel_service
from omniretail.omnichannel.fulfillment.models import Fulfilment
from omniretail.omnichannel.product import service as product_service
from omniretail.omnichannel.staff import service as staff_service
from omniretail.omnichannel.store import service as store_service
from omniretail.operations.community.models import CommunityGroup
from omniretail.operations.groupbuy.models import GroupOrder
from omniretail.operations.guide.models import GuideBinding, GuideTask
from omniretail.platform.db import session_scope


@pytest.mark.slow
def test_demo_instance_has_master_data_and_a_working_store_manager(
    home: Path, tmp_path: Path
) -> None:
    from fastapi.testclient import TestClient

    from omniretail.web.app import create_app

    r = CliRunner().invoke(
        app,
        ["demo", "--scale", "0.01", "--seed", "7", "--world", str(tmp_path / "w"), "--no-serve"],
    )
    assert r.exit_code == 0, r.output
    login = json.loads(r.output[r.output.rindex('{"url"') :].replace("\n", ""))
    manager = login["store_manager"]

    with session_scope() as s:
        stores = store_service.list_stores(s)
        assert len(stores) >= 20
        assert {x.kind for x in stores} == {"direct", "franchise", "pickup_point"}
        assert all(x.latitude and x.city and x.region and x.opening_hours for x in stores)
        channels = {c.code: c for c in channel_service.list_channels(s)}
        assert len(channels) == 15
        assert (channels["pos"].kind, channels["miniprogram"].kind, channels["tmall"].kind) == (
            "offline",
            "online",
            "platform",
        )
        staff = staff_service.list_staff(s, store_code=manager["store_code"])
        assert {x.role for x in staff} >= {"manager", "cashier"}
        assert all(x.wecom_userid for x in staff)
        assert len(product_service.list_products(s, limit=5000)) == 2000
        assert all(p.barcode and p.category_code for p in product_service.list_products(s))
        ids = store_service.store_ids_by_code(s)
        mine = s.scalars(
            select(Customer.customer_id).where(Customer.home_store_id == ids[manager["store_code"]])
        ).all()
        other = s.scalars(
            select(Customer.customer_id).where(Customer.home_store_id != ids[manager["store_code"]])
        ).first()
        # Every operations and service area of the console has the demo's data behind it: a
        # phase dropped from the build leaves its pages empty with no error anywhere.
        for model, area in (
            (Fulfilment, "stock and fulfilment"),
            (GuideBinding, "shopping guides"),
            (GuideTask, "shopping guides' tasks"),
            (Ticket, "customer service"),
            (GroupOrder, "group buying"),
            (CommunityGroup, "communities"),
            (LiveSession, "live commerce"),
        ):
            assert s.scalar(select(func.count()).select_from(model)), f"demo has no {area}"
    assert mine, "the demo store manager's store has customers"
    # every live session and note with an end brought orders, through the attribution rule
    # over the pipeline's unified orders (live rooms, the note's 口令 before an order)
    with session_scope() as s:
        figs = {f["session_id"]: f for f in live_service.figures_now(s)}
    assert {f["platform"] for f in figs.values()} == {"douyin", "kuaishou", "channels",
                                                      "xiaohongshu"}  # fmt: skip
    for code, f in figs.items():
        if f["flag"] is None:
            assert f["orders"] > 0, (code, f)
            assert f["gmv_fen"] > 0, (code, f)
            assert f["orders"] == f["online_orders"] + f["store_orders"]
        else:
            assert f["flag"] == "no_end", (code, f)
            assert f["orders"] == 0, (code, f)
    assert [c for c, f in figs.items() if f["flag"]] == ["NOTE-XHS-1105"]
    assert other is not None

    with TestClient(create_app()) as c:
        r2 = c.post(
            "/api/v1/auth/login",
            json={"username": manager["username"], "password": manager["password"]},
        )
        assert r2.status_code == 200, r2.text
        c.headers["X-CSRF-Token"] = r2.json()["csrf_token"]
        assert c.get(f"/api/v1/customers/{mine[0]}").status_code == 200
        assert c.get(f"/api/v1/customers/{other}").status_code in (403, 404)

    # 快递代收点 near stores: orders picked up there, waiting there, on the way, and one not
    # collected within the point's hold — sent back, refunded and restocked
    with session_scope() as s:
        points = {p.code: p.name for p in store_service.list_stores(s, kind="pickup_point")}
        parcels = s.scalars(
            select(Fulfilment).where(Fulfilment.pickup_kind == "parcel_point")
        ).all()
    assert len(points) == 3
    assert {f.parcel_point for f in parcels} <= set(points)
    assert {f.state for f in parcels} >= {"picked_up", "at_point", "to_point", "cancelled"}
    [back] = [f for f in parcels if f.state == "cancelled"]
    assert back.cancel_reason == "point_returned"
    assert back.refund_fen > 0
    waiting = next(f for f in parcels if f.state == "at_point")
    with TestClient(create_app()) as c:
        r3 = c.post(
            "/api/v1/auth/login",
            json={"username": login["username"], "password": login["password"]},
        )
        assert r3.status_code == 200, r3.text
        page = c.get(f"/omnichannel/fulfilment/{waiting.id}").text
        assert points[str(waiting.parcel_point)] in page
        assert f'data-testid="point-code-shown">{waiting.point_code}<' in page
        listed = c.get("/omnichannel/fulfilment", params={"state": "at_point"}).text
        assert f'data-id="{waiting.id}"' in listed
        assert "快递代收点自提" in listed
