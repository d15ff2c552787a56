"""Store master data: the only way other domains read stores, warehouses and pickup points.

Store codes are the keys other domains keep (``store_code``); the integer ids stay inside the
operational store (console users' store scope, foreign keys of old tables).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, joinedload

from omniretail.omnichannel.common import UpsertResult
from omniretail.omnichannel.store.errors import UnknownStore
from omniretail.omnichannel.store.models import City, Region, Store
from omniretail.omnichannel.store.schemas import StoreCreate, StoreRead
from omniretail.platform.geo import haversine_km


def _query() -> Select[Store]:
    return select(Store).options(joinedload(Store.city).joinedload(City.region))


def to_read(store: Store) -> StoreRead:
    city = store.city
    region = city.region if city is not None else None
    return StoreRead(
        code=store.code,
        name=store.name,
        kind=store.kind,  # type: ignore[arg-type]
        store_type=store.store_type,
        region=region.code if region is not None else None,
        province=city.province if city is not None else None,
        city=city.name if city is not None else None,
        district=store.district,
        address=store.address,
        latitude=store.latitude,
        longitude=store.longitude,
        opening_hours=store.opening_hours,
        area_m2=store.area_m2,
        phone=store.phone,
        opened_on=store.opened_on,
        is_active=store.is_active,
    )


def get_store(session: Session, *, code: str) -> StoreRead:
    """The store with this code; raises :class:`UnknownStore`."""
    store = session.scalars(_query().where(Store.code == code.strip())).first()
    if store is None:
        raise UnknownStore(code)
    return to_read(store)


def store_names(session: Session) -> dict[str, str]:
    """Every store's name by code: what a page shows where a row carries only the code."""
    return dict(session.execute(select(Store.code, Store.name)).all())


def list_stores(
    session: Session,
    *,
    region: str | None = None,
    kind: str | None = None,
    codes: Sequence[str] | None = None,
    active_only: bool = True,
) -> list[StoreRead]:
    """Stores in code order, optionally of one region (code, e.g. 华中) and/or one kind."""
    q = _query().order_by(Store.code)
    if region is not None:
        q = q.join(Store.city).join(City.region).where(Region.code == region)
    if kind is not None:
        q = q.where(Store.kind == kind)
    if codes is not None:
        q = q.where(Store.code.in_(list(codes)))
    if active_only:
        q = q.where(Store.is_active)
    return [to_read(s) for s in session.scalars(q).unique()]


def store_region(session: Session, *, code: str) -> str | None:
    """The region code of a store (None for an unknown store or one without a region): one
    small query, for the checkout's hot path."""
    return session.scalar(
        select(Region.code)
        .join(City, City.region_id == Region.id)
        .join(Store, Store.city_id == City.id)
        .where(Store.code == code)
    )


def stores_near(
    session: Session,
    *,
    lat: float,
    lng: float,
    radius_km: float,
    kind: str | None = None,
) -> list[tuple[StoreRead, float]]:
    """Active locations within ``radius_km`` of a point, nearest first, with their distance.

    A bounding box on latitude/longitude narrows the rows in SQL; the exact great-circle
    distance decides."""
    if radius_km <= 0:
        return []
    dlat = radius_km / 111.0
    dlng = radius_km / max(1e-6, 111.0 * math.cos(math.radians(lat)))
    q = _query().where(
        Store.is_active,
        Store.latitude.between(lat - dlat, lat + dlat),
        Store.longitude.between(lng - dlng, lng + dlng),
    )
    if kind is not None:
        q = q.where(Store.kind == kind)
    out: list[tuple[StoreRead, float]] = []
    for s in session.scalars(q).unique():
        km = haversine_km(lat, lng, s.latitude or 0.0, s.longitude or 0.0)
        if km <= radius_km:
            out.append((to_read(s), round(km, 3)))
    out.sort(key=lambda t: (t[1], t[0].code))
    return out


def store_ids_by_code(session: Session, *, codes: Iterable[str] | None = None) -> dict[str, int]:
    """Store code → the operational store's row id (for tables that still keep the id)."""
    q = select(Store.code, Store.id)
    if codes is not None:
        q = q.where(Store.code.in_(list(codes)))
    return dict(session.execute(q).all())


def store_codes_for_ids(session: Session, *, store_ids: Iterable[int]) -> list[str]:
    """The codes of these store ids (a console user's store scope), in code order."""
    ids = list(store_ids)
    if not ids:
        return []
    return list(session.scalars(select(Store.code).where(Store.id.in_(ids)).order_by(Store.code)))


def _region(session: Session, code: str | None, cache: dict[str, Region]) -> Region | None:
    if not code:
        return None
    if code not in cache:
        row = session.scalars(select(Region).where(Region.code == code)).first()
        if row is None:
            row = Region(code=code, name=code)
            session.add(row)
        cache[code] = row
    return cache[code]


def _city(
    session: Session, data: StoreCreate, regions: dict[str, Region], cache: dict[str, City]
) -> City | None:
    if not data.city:
        return None
    province = data.province or ""
    key = f"{province}/{data.city}"[:32]
    if key not in cache:
        row = session.scalars(
            select(City).where(City.name == data.city, City.province == province)
        ).first()
        if row is None:
            row = City(code=key, name=data.city, province=province)
            session.add(row)
        cache[key] = row
    city = cache[key]
    region = _region(session, data.region, regions)
    if region is not None and city.region is not region:
        city.region = region
    return city


_FIELDS = (
    "name",
    "kind",
    "store_type",
    "district",
    "address",
    "latitude",
    "longitude",
    "opening_hours",
    "area_m2",
    "phone",
    "opened_on",
    "is_active",
)


def upsert_stores(session: Session, *, stores: Iterable[StoreCreate]) -> UpsertResult:
    """Create or update stores by code (master data imports, the API). Never deletes."""
    rows = list(stores)
    existing = {
        s.code: s
        for s in session.scalars(_query().where(Store.code.in_([r.code for r in rows]))).unique()
    }
    regions: dict[str, Region] = {}
    cities: dict[str, City] = {}
    created = updated = unchanged = 0
    for data in rows:
        city = _city(session, data, regions, cities)
        store = existing.get(data.code)
        if store is None:
            store = Store(code=data.code, city=city, **{f: getattr(data, f) for f in _FIELDS})
            session.add(store)
            existing[data.code] = store
            created += 1
            continue
        before = to_read(store)
        for f in _FIELDS:
            setattr(store, f, getattr(data, f))
        store.city = city
        if to_read(store) == before:
            unchanged += 1
        else:
            updated += 1
    session.flush()
    return UpsertResult(created, updated, unchanged)


def create_store(session: Session, *, data: StoreCreate) -> StoreRead:
    upsert_stores(session, stores=[data])
    return get_store(session, code=data.code)
