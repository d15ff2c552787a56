"""Master data through the declarative import path: a retailer's ERP export (the shipped
``erp_master_*`` mappings) → landing → standardize → step ``omnichannel.master`` → the
operational store, on SQLite and PostgreSQL; an order naming an unknown channel is a counted
finding and is neither online nor offline."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import Engine, select

from omniretail.cdp.ingest import service as ingest_service
from omniretail.cdp.ingest.mapping import shipped_mapping
from omniretail.cdp.quality.models import QualityStats
from omniretail.omnichannel.channel import service as channel_service
from omniretail.omnichannel.product import service as product_service
from omniretail.omnichannel.staff import service as staff_service
from omniretail.omnichannel.store import service as store_service
from omniretail.platform import config, pipeline
from omniretail.platform.db import session_scope
from omniretail.platform.engine import open_engine

DATA = Path(__file__).parent / "data"


def _import(source: str, mapping: Path, file: Path) -> None:
    with session_scope() as s:
        ingest_service.import_with_mapping_file(
            s, source=source, mapping_path=mapping, files=[file]
        )


def _run(*steps: str) -> dict[str, dict[str, object]]:
    settings = config.get_settings()
    engine = open_engine(settings=settings)
    try:
        ctx = pipeline.PipelineContext(engine=engine, settings=settings, full_refresh=True)
        pipeline.run(ctx, only=list(steps))
        if "insight.features" in steps:
            facts = engine.fetch_rows(
                "SELECT order_id, online FROM ins_order_facts ORDER BY order_id"
            )
            ctx.results["facts"] = {r["order_id"]: r["online"] for r in facts}
        return ctx.results
    finally:
        engine.close()


def test_erp_master_export_is_published_by_code(store_engine: Engine) -> None:
    for kind in ("stores", "products", "channels", "staff"):
        _import("erp", shipped_mapping(f"erp_master_{kind}"), DATA / f"erp_{kind}.csv")
    results = _run("standardize", "omnichannel.master")
    master = results["omnichannel.master"]
    assert master["store"] == {"created": 4, "updated": 0, "unchanged": 0, "rejected": 0}
    assert master["staff"]["created"] == 4
    assert master["staff"]["rejected"] == 1  # E0005 names the unknown store S999
    assert "store_code: unknown store S999" in master["staff"]["reasons"]  # type: ignore[operator]

    with session_scope() as s:
        stores = {x.code: x for x in store_service.list_stores(s)}
        assert set(stores) == {"S101", "S102", "W01", "P01"}  # the row without a code: quarantined
        assert [x.code for x in store_service.list_stores(s, kind="warehouse")] == ["W01"]
        assert stores["S102"].kind == "franchise"
        assert stores["S102"].store_type == "mall"
        assert stores["P01"].kind == "pickup_point"
        s101 = stores["S101"]
        assert (s101.region, s101.province, s101.city, s101.district) == (
            "华中",
            "湖北省",
            "武汉市",
            "江汉区",
        )
        assert s101.area_m2 == 85.5
        assert s101.address == "江汉路 88 号"
        assert stores["S102"].opening_hours == dict.fromkeys(
            ("mon", "tue", "wed", "thu", "fri", "sat", "sun"), "10:00-22:00"
        )  # full-width digits folded
        near = store_service.stores_near(s, lat=30.59, lng=114.30, radius_km=10)
        assert [x.code for x, _ in near][:2] == ["S101", "P01"]

        p = product_service.get_product(s, sku="A10001")
        assert (p.barcode, p.pack_size, p.unit, p.category_code) == (
            "6901200000011",
            12,
            "盒",
            "C0101",
        )
        assert product_service.get_product_by_barcode(s, barcode="6901200000028").sku == "A10002"
        assert product_service.get_product(s, sku="A10002").pack_size == 1  # default case size

        assert channel_service.get_channel(s, code="pos").kind == "offline"
        assert channel_service.get_channel(s, code="tmall").kind == "platform"
        assert channel_service.get_channel(s, code="s101_wecom").store_code == "S101"

        assert staff_service.get_staff(s, staff_id="E0001").role == "manager"
        assert staff_service.get_staff_by_wecom(s, wecom_userid="lina").store_code == "S101"
        assert staff_service.get_staff(s, staff_id="E0004").role == "other"
        assert [x.staff_id for x in staff_service.list_staff(s, store_code="S101")] == [
            "E0001",
            "E0002",
        ]
        ids = store_service.store_ids_by_code(s)

    # a re-run publishes the same rows again: nothing created or changed, ids kept
    again = _run("standardize", "omnichannel.master")["omnichannel.master"]
    assert again["store"] == {"created": 0, "updated": 0, "unchanged": 4, "rejected": 0}
    assert again["channel"]["unchanged"] == 4
    assert again["staff"]["unchanged"] == 4
    with session_scope() as s:
        assert store_service.store_ids_by_code(s) == ids


def test_unknown_channel_is_a_counted_finding_never_offline(store_engine: Engine) -> None:
    _import("erp", shipped_mapping("erp_master_channels"), DATA / "erp_channels.csv")
    _import("erp", shipped_mapping("erp_master_stores"), DATA / "erp_stores.csv")
    _import("shop", DATA / "shop_orders.yaml", DATA / "shop_orders.csv")
    results = _run("standardize", "omnichannel.master", "identity", "unify", "insight.features")
    with session_scope() as s:
        stats = s.scalars(select(QualityStats).where(QualityStats.source == "shop")).one()
        fixes = (
            stats.fixes_by_rule
            if isinstance(stats.fixes_by_rule, dict)
            else json.loads(stats.fixes_by_rule)
        )
    assert fixes["unknown_channel"] == 3  # T3, T4 (wechat_live) and T5 (no channel at all)
    # the orders are kept; an unknown channel is neither online nor offline
    assert results["facts"] == {"T1": False, "T2": True, "T3": None, "T4": None, "T5": None}
