"""``/api/v1/stores``: the chain's stores, warehouses and pickup points (read)."""

from __future__ import annotations

from fastapi import APIRouter, Query

from omniretail.omnichannel.store import service
from omniretail.omnichannel.store.schemas import StoreDistance, StoreKind, StoreRead
from omniretail.platform.auth.deps import ApiPrincipal, DbSession

router = APIRouter(prefix="/stores", tags=["master data"])


@router.get("", response_model=list[StoreRead])
def list_stores(
    db: DbSession, who: ApiPrincipal, region: str | None = None, kind: StoreKind | None = None
) -> list[StoreRead]:
    who.require("read")
    return service.list_stores(db, region=region, kind=kind)


@router.get("/near", response_model=list[StoreDistance])
def stores_near(
    db: DbSession,
    who: ApiPrincipal,
    lat: float = Query(ge=-90, le=90),
    lng: float = Query(ge=-180, le=180),
    radius_km: float = Query(10.0, gt=0, le=500),
    kind: StoreKind | None = None,
) -> list[StoreDistance]:
    """Locations within ``radius_km`` of a point, nearest first (门店自提: 附近门店)."""
    who.require("read")
    return [
        StoreDistance(store=s, km=km)
        for s, km in service.stores_near(db, lat=lat, lng=lng, radius_km=radius_km, kind=kind)
    ]


@router.get("/{code}", response_model=StoreRead)
def get_store(code: str, db: DbSession, who: ApiPrincipal) -> StoreRead:
    who.require("read")
    return service.get_store(db, code=code)
