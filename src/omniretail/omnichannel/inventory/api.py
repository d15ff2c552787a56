"""``/api/v1/inventory``: levels, movements, reservations, availability and allocation.

A caller bound to stores may read and move stock only at their stores' locations."""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field

from omniretail.omnichannel.inventory import allocation, service, snapshot
from omniretail.omnichannel.inventory.schemas import (
    AllocationResult,
    Availability,
    Discrepancy,
    LevelRead,
    LocationCreate,
    LocationRead,
    MovementRead,
    ReservationLine,
    ReservationRead,
    SnapshotMapping,
    SnapshotResult,
    StockAtLocation,
)
from omniretail.platform.auth.deps import ApiPrincipal, DbSession
from omniretail.platform.auth.scope import store_scope

router = APIRouter(prefix="/inventory", tags=["inventory"])


class MovementIn(BaseModel):
    kind: Literal["receipt", "sale", "return", "count", "adjust"]
    location: str
    sku: str
    quantity: int  # units (count: the counted quantity; adjust: a signed delta)
    key: str | None = Field(default=None, max_length=128)
    ref: str | None = Field(default=None, max_length=64)
    reason: str | None = None


class ReserveIn(BaseModel):
    key: str = Field(min_length=1, max_length=128)
    lines: list[ReservationLine] = Field(min_length=1)
    kind: Literal["checkout", "pickup", "groupbuy", "order"] = "order"
    ttl_seconds: int | None = Field(default=None, gt=0)
    ref: str | None = None


class AllocateIn(BaseModel):
    lines: list[tuple[str, int]] = Field(min_length=1)
    channel: str | None = None
    strategy: Literal["priority", "most_stock", "nearest", "fewest_splits"] | None = None
    lat: float | None = None
    lng: float | None = None
    radius_km: float | None = None


class SnapshotIn(BaseModel):
    mapping: SnapshotMapping
    snapshot_id: str = Field(min_length=1, max_length=64)
    rows: list[dict[str, object]]


def _scope_locations(principal: ApiPrincipal, db: DbSession, codes: list[str]) -> None:
    scope = store_scope(principal)
    for code in codes:
        scope.require(service.scope_store_of(db, code=code), field="location")


class ItemIn(BaseModel):
    sku: str = Field(min_length=1, max_length=32)
    name: str | None = Field(default=None, max_length=128)
    safety_stock: int = Field(default=0, ge=0)


@router.get("/locations", response_model=list[LocationRead])
def locations(db: DbSession, principal: ApiPrincipal) -> list[LocationRead]:
    principal.require("read")
    scope = store_scope(principal)
    return [loc for loc in service.list_locations(db) if scope.allows(loc.store_code or loc.code)]


@router.put("/locations", response_model=LocationRead)
def put_location(data: LocationCreate, db: DbSession, principal: ApiPrincipal) -> LocationRead:
    """Create or update a stock location (a warehouse, or a store's allocation settings)."""
    principal.require("admin")
    return service.register_location(db, data=data)


@router.put("/items", response_model=ItemIn)
def put_item(data: ItemIn, db: DbSession, principal: ApiPrincipal) -> ItemIn:
    principal.require("admin")
    service.register_item(db, sku=data.sku, name=data.name, safety_stock=data.safety_stock)
    return data


@router.get("/levels", response_model=list[LevelRead])
def levels(
    db: DbSession, principal: ApiPrincipal, location: str | None = None, sku: str | None = None
) -> list[LevelRead]:
    principal.require("read")
    if location:
        _scope_locations(principal, db, [location])
    elif store_scope(principal).codes() is not None:
        rows = service.list_levels(db, sku=sku, limit=5000)
        scope = store_scope(principal)
        return [r for r in rows if scope.allows(service.scope_store_of(db, code=r.location))]
    return service.list_levels(db, location=location, sku=sku)


@router.get("/movements", response_model=list[MovementRead])
def movements(
    db: DbSession, principal: ApiPrincipal, location: str, sku: str | None = None
) -> list[MovementRead]:
    principal.require("read")
    _scope_locations(principal, db, [location])
    return service.list_movements(db, location=location, sku=sku)


@router.post("/movements", response_model=LevelRead)
def move(data: MovementIn, db: DbSession, principal: ApiPrincipal) -> LevelRead:
    principal.require("write")
    _scope_locations(principal, db, [data.location])
    loc, sku, key, ref = data.location, data.sku, data.key, data.ref
    if data.kind == "receipt":
        return service.receive(db, location=loc, sku=sku, quantity=data.quantity, key=key, ref=ref)
    if data.kind == "sale":
        return service.sell(db, location=loc, sku=sku, quantity=data.quantity, key=key, ref=ref)
    if data.kind == "return":
        return service.return_stock(
            db, location=loc, sku=sku, quantity=data.quantity, key=key, ref=ref
        )
    if data.kind == "count":
        service.count(db, location=loc, sku=sku, counted=data.quantity, key=key, ref=ref)
        return service.get_level(db, location=loc, sku=sku)
    return service.adjust(
        db, location=loc, sku=sku, delta=data.quantity, reason=data.reason or "adjust", key=key
    )


@router.get("/availability/{sku}", response_model=Availability)
def availability(
    sku: str,
    db: DbSession,
    principal: ApiPrincipal,
    channel: str | None = None,
    lat: float | None = None,
    lng: float | None = None,
    radius_km: float | None = None,
) -> Availability:
    principal.require("read")
    return allocation.availability(
        db, sku=sku, channel=channel, lat=lat, lng=lng, radius_km=radius_km
    )


@router.get("/near", response_model=list[StockAtLocation])
def near(
    sku: str,
    lat: float,
    lng: float,
    db: DbSession,
    principal: ApiPrincipal,
    radius_km: float = 10.0,
    quantity: int = 1,
) -> list[StockAtLocation]:
    """Stores with stock near a position ("stores with stock near me")."""
    principal.require("read")
    return allocation.stores_with_stock_near(
        db, sku=sku, lat=lat, lng=lng, radius_km=radius_km, quantity=quantity
    )


@router.post("/allocate", response_model=AllocationResult)
def allocate(data: AllocateIn, db: DbSession, principal: ApiPrincipal) -> AllocationResult:
    """Where an order's lines would come from, and why (nothing is reserved)."""
    principal.require("read")
    return allocation.allocate(
        db,
        lines=data.lines,
        channel=data.channel,
        strategy=data.strategy,
        lat=data.lat,
        lng=data.lng,
        radius_km=data.radius_km,
    )


@router.post("/reservations", response_model=list[ReservationRead])
def reserve(data: ReserveIn, db: DbSession, principal: ApiPrincipal) -> list[ReservationRead]:
    principal.require("write")
    _scope_locations(principal, db, [ln.location for ln in data.lines])
    ttl = timedelta(seconds=data.ttl_seconds) if data.ttl_seconds else None
    return service.reserve(
        db, key=data.key, lines=data.lines, kind=data.kind, ttl=ttl, ref=data.ref
    )


@router.get("/reservations/{key}", response_model=list[ReservationRead])
def get_reservation(key: str, db: DbSession, principal: ApiPrincipal) -> list[ReservationRead]:
    principal.require("read")
    return service.reservations(db, key=key)


@router.post("/reservations/{key}/{action}", response_model=list[ReservationRead])
def close_reservation(
    key: str,
    action: Literal["commit", "release", "cancel"],
    db: DbSession,
    principal: ApiPrincipal,
) -> list[ReservationRead]:
    principal.require("write")
    rows = service.reservations(db, key=key)
    _scope_locations(principal, db, sorted({r.location for r in rows}))
    verb = {"commit": service.commit, "release": service.release, "cancel": service.cancel}
    return verb[action](db, key=key)


@router.post("/snapshots", response_model=SnapshotResult)
def import_snapshot(data: SnapshotIn, db: DbSession, principal: ApiPrincipal) -> SnapshotResult:
    """An ERP/WMS stock snapshot through a declarative mapping: each row a count."""
    principal.require("admin")
    return snapshot.import_rows(
        db, mapping=data.mapping, snapshot_id=data.snapshot_id, rows=data.rows
    )


@router.get("/verify", response_model=list[Discrepancy])
def verify(db: DbSession, principal: ApiPrincipal, repair: bool = False) -> list[Discrepancy]:
    """Levels that differ from their ledger (``repair=true`` sets them to the ledger)."""
    principal.require("admin")
    return service.verify(db, repair=repair)
