"""Publish the standardized master data (``dim_*`` analytics tables) to the operational store.

Master data arrives like everything else: a declarative import mapping (the demo world's
``master_*`` mappings, a retailer's ``erp_master_*`` mappings) lands it, the standardize step
writes ``dim_store``, ``dim_channel``, ``dim_product``, ``dim_category`` and ``dim_staff``, and
:func:`publish_master` upserts them by code through the master-data services. A row that cannot
become a record (an unknown kind, a staff member of an unknown store ...) is skipped and counted
with its reason; it never stops the other rows.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any, TypeVar

from pydantic import ValidationError
from sqlalchemy.orm import Session

from omniretail.omnichannel.channel import service as channel_service
from omniretail.omnichannel.channel.schemas import ChannelCreate
from omniretail.omnichannel.product import service as product_service
from omniretail.omnichannel.product.schemas import CategoryCreate, ProductCreate
from omniretail.omnichannel.staff import service as staff_service
from omniretail.omnichannel.staff.schemas import StaffCreate
from omniretail.omnichannel.store import service as store_service
from omniretail.omnichannel.store.schemas import StoreCreate
from omniretail.platform.engine.base import AnalyticsEngine


def _text(v: Any) -> str | None:
    if v is None:
        return None
    s = str(v).strip()
    return s or None


def _store(r: dict[str, Any]) -> StoreCreate:
    return StoreCreate(
        code=r["store_code"],
        name=_text(r.get("name")) or r["store_code"],
        kind=_text(r.get("store_kind")) or "direct",  # type: ignore[arg-type]
        store_type=_text(r.get("store_type")) or "street",
        region=_text(r.get("region")),
        province=_text(r.get("province")),
        city=_text(r.get("city")),
        district=_text(r.get("district")),
        address=_text(r.get("address")),
        latitude=r.get("latitude"),
        longitude=r.get("longitude"),
        opening_hours=_text(r.get("opening_hours")),  # type: ignore[arg-type]
        area_m2=r.get("area_m2"),
        phone=_text(r.get("phone")),
        opened_on=str(r["opened_on"]) if r.get("opened_on") is not None else None,
    )


def _channel(r: dict[str, Any]) -> ChannelCreate:
    return ChannelCreate(
        code=r["channel_code"],
        name=_text(r.get("name")) or r["channel_code"],
        name_en=_text(r.get("name_en")),
        kind=r.get("kind"),  # type: ignore[arg-type]
        domain=_text(r.get("domain")) or "private",  # type: ignore[arg-type]
        platform=_text(r.get("platform")),
        store_code=_text(r.get("store_code")),
    )


def _category(r: dict[str, Any]) -> CategoryCreate:
    return CategoryCreate(
        code=r["category_code"],
        name=_text(r.get("name")) or r["category_code"],
        name_en=_text(r.get("name_en")),
        parent_code=_text(r.get("parent_code")),
        replenish_days=r.get("replenish_days"),
    )


def _product(r: dict[str, Any]) -> ProductCreate:
    return ProductCreate(
        sku=r["sku"],
        name=(_text(r.get("name")) or r["sku"])[:128],
        category_code=_text(r.get("category_code")),
        brand=_text(r.get("brand")),
        flavor=_text(r.get("flavor")),
        price=r.get("price") if r.get("price") is not None else 0,
        barcode=_text(r.get("barcode")),
        pack_size=r.get("pack_size") or 1,
        unit=_text(r.get("unit")),
        launch_date=r.get("launch_date"),
    )


def _staff(r: dict[str, Any]) -> StaffCreate:
    return StaffCreate(
        staff_id=r["staff_code"],
        name=_text(r.get("name")) or r["staff_code"],
        role=_text(r.get("role")) or "clerk",  # type: ignore[arg-type]
        store_code=_text(r.get("store_code")),
        wecom_userid=_text(r.get("wecom_userid")),
        phone=_text(r.get("phone")),
    )


T = TypeVar("T")


def _valid(
    rows: list[dict[str, Any]], build: Callable[[dict[str, Any]], T], rejected: Counter[str]
) -> list[T]:
    out: list[T] = []
    for r in rows:
        try:
            out.append(build(r))
        except ValidationError as exc:
            err = exc.errors()[0]
            rejected[f"{'.'.join(str(x) for x in err['loc'])}: {err['msg']}"] += 1
    return out


def _rows(engine: AnalyticsEngine, table: str, key: str) -> list[dict[str, Any]]:
    if not engine.table_exists(table):
        return []
    return engine.fetch_rows(f"SELECT * FROM {table} WHERE {key} IS NOT NULL ORDER BY {key}")  # noqa: S608


def publish_master(engine: AnalyticsEngine, session: Session) -> dict[str, Any]:
    """Upsert every master table into the operational store; returns counts per kind."""
    out: dict[str, Any] = {}
    rejected: dict[str, Counter[str]] = {}

    cats = _valid(
        _rows(engine, "dim_category", "category_code"),
        _category,
        rejected.setdefault("category", Counter()),
    )
    out["category"] = product_service.upsert_categories(session, categories=cats).as_dict()
    products = _valid(
        _rows(engine, "dim_product", "sku"), _product, rejected.setdefault("product", Counter())
    )
    out["product"] = product_service.upsert_products(session, products=products).as_dict()
    stores = _valid(
        _rows(engine, "dim_store", "store_code"), _store, rejected.setdefault("store", Counter())
    )
    out["store"] = store_service.upsert_stores(session, stores=stores).as_dict()

    known = set(store_service.store_ids_by_code(session))
    rej = rejected.setdefault("channel", Counter())
    channels = []
    for c in _valid(_rows(engine, "dim_channel", "channel_code"), _channel, rej):
        if c.store_code and c.store_code not in known:
            rej[f"store_code: unknown store {c.store_code}"] += 1
        else:
            channels.append(c)
    out["channel"] = channel_service.upsert_channels(session, channels=channels).as_dict()
    rej = rejected.setdefault("staff", Counter())
    staff = []
    for s in _valid(_rows(engine, "dim_staff", "staff_code"), _staff, rej):
        if s.store_code and s.store_code not in known:
            rej[f"store_code: unknown store {s.store_code}"] += 1
        else:
            staff.append(s)
    out["staff"] = staff_service.upsert_staff(session, staff=staff).as_dict()
    for kind, counts in rejected.items():
        out[kind]["rejected"] = sum(counts.values())
        if counts:
            out[kind]["reasons"] = dict(counts.most_common(5))
    return out
