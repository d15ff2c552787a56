"""``/api/v1/fulfilments``: place online orders for pickup or delivery, move them through the
store's work, verify pickup codes, track deliveries, take returns, read the KPIs.
A caller bound to stores sees and changes only their stores' fulfilments."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path
from pydantic import AwareDatetime, BaseModel, Field

from omniretail.omnichannel.fulfillment import codes, delivery, kpi, returns, service
from omniretail.omnichannel.fulfillment.schemas import (
    Address,
    EventRead,
    FulfilmentCreate,
    FulfilmentRead,
    KpiRow,
    PickupCodeRead,
    PickupKind,
    ReturnCreate,
    ReturnRead,
    VerifyRequest,
)
from omniretail.omnichannel.order import service as order_service
from omniretail.platform.auth.deps import ApiPrincipal, DbSession
from omniretail.platform.auth.scope import store_scope
from omniretail.platform.bounds import DB_ID_MAX, DbId

router = APIRouter(prefix="/fulfilments", tags=["fulfilment"])

StoreEvent = Literal["start_picking", "mark_ready", "pack", "dispatch", "cancel"]


class ShortageIn(BaseModel):
    line_no: int = Field(ge=0)
    missing: int = Field(gt=0)


class TrackRead(BaseModel):
    changed: int


def _visible(principal: ApiPrincipal, f: FulfilmentRead) -> FulfilmentRead:
    store_scope(principal).require(f.store_code)
    return f


@router.post("", response_model=list[FulfilmentRead])
def place(data: FulfilmentCreate, db: DbSession, principal: ApiPrincipal) -> list[FulfilmentRead]:
    """Allocate and reserve an online order (idempotent on channel + order number)."""
    principal.require("write")
    return service.place(db, data=data)


class FromOrderIn(BaseModel):
    """How to fulfil an operational order; every field is optional (the order says the rest)."""

    mode: Literal["pickup", "ship_from_store", "same_city"] | None = None
    pickup_store: str | None = Field(default=None, max_length=32)
    address: Address | None = None
    hold_days: int = Field(default=3, ge=1, le=30)
    pickup_kind: PickupKind = "store"
    parcel_point: str | None = Field(default=None, max_length=32)
    slot_start: AwareDatetime | None = None
    slot_end: AwareDatetime | None = None


@router.post("/from-order/{order_id}", response_model=list[FulfilmentRead])
def place_for_order(
    order_id: Annotated[int, Path(ge=1, le=DB_ID_MAX)],
    data: FromOrderIn,
    db: DbSession,
    principal: ApiPrincipal,
) -> list[FulfilmentRead]:
    """Fulfil an operational order (``/api/v1/orders``): its lines, customer and tender are the
    order's; when its fulfilments end the order becomes fulfilled or cancelled."""
    principal.require("write")
    store_scope(principal).require(order_service.get_order(db, order_id=order_id).store_code)
    return service.place_for_order(
        db,
        order_id=order_id,
        mode=data.mode,
        pickup_store=data.pickup_store,
        address=data.address,
        hold_days=data.hold_days,
        pickup_kind=data.pickup_kind,
        parcel_point=data.parcel_point,
        slot_start=data.slot_start,
        slot_end=data.slot_end,
    )


@router.get("", response_model=list[FulfilmentRead])
def list_fulfilments(
    db: DbSession,
    principal: ApiPrincipal,
    state: str | None = None,
    store: str | None = None,
    mode: str | None = None,
) -> list[FulfilmentRead]:
    principal.require("read")
    scope = store_scope(principal)
    codes_ = scope.codes()
    if store is not None:
        scope.require(store)
        codes_ = [store]
    return service.list_fulfilments(db, store_codes=codes_, state=state, mode=mode)


@router.get("/kpis", response_model=list[KpiRow])
def kpis(
    db: DbSession, principal: ApiPrincipal, by: Literal["store", "region"] = "store"
) -> list[KpiRow]:
    principal.require("read")
    return kpi.kpis(db, by=by, store_codes=store_scope(principal).codes())


@router.post("/verify", response_model=FulfilmentRead)
def verify(data: VerifyRequest, db: DbSession, principal: ApiPrincipal) -> FulfilmentRead:
    """Verify a pickup code (typed or the QR's content) and hand the order over. A failed
    attempt is kept (it counts towards the terminal's limit) before the error is returned."""
    principal.require("write")
    store_scope(principal).require(data.store_code)
    out = codes.verify(
        db,
        store_code=data.store_code,
        code=data.code,
        terminal=data.terminal,
        staff=data.staff or principal.name,
    )
    if not out.ok:
        db.commit()
        out.raise_for_failure()
    assert out.fulfilment_id is not None
    return service.get(db, fulfilment_id=out.fulfilment_id)


@router.post("/track", response_model=TrackRead)
def track(db: DbSession, principal: ApiPrincipal) -> TrackRead:
    """Poll the delivery provider for every open delivery now."""
    principal.require("write")
    return TrackRead(changed=delivery.track(db))


@router.post("/returns", response_model=ReturnRead)
def create_return(data: ReturnCreate, db: DbSession, principal: ApiPrincipal) -> ReturnRead:
    principal.require("write")
    store_scope(principal).require(data.receiving_store, field="receiving_store")
    return returns.create_return(db, data=data, actor=principal.name)


@router.get("/returns", response_model=list[ReturnRead])
def list_returns(db: DbSession, principal: ApiPrincipal) -> list[ReturnRead]:
    principal.require("read")
    return returns.list_returns(db, store_codes=store_scope(principal).codes())


@router.get("/{fulfilment_id}", response_model=FulfilmentRead)
def get(fulfilment_id: DbId, db: DbSession, principal: ApiPrincipal) -> FulfilmentRead:
    principal.require("read")
    return _visible(principal, service.get(db, fulfilment_id=fulfilment_id))


@router.get("/{fulfilment_id}/history", response_model=list[EventRead])
def history(fulfilment_id: DbId, db: DbSession, principal: ApiPrincipal) -> list[EventRead]:
    principal.require("read")
    _visible(principal, service.get(db, fulfilment_id=fulfilment_id))
    return service.history(db, fulfilment_id=fulfilment_id)


class LockerIn(BaseModel):
    box: str = Field(min_length=1, max_length=16, pattern=r"^[0-9A-Za-z-]+$")


class ArrivedIn(BaseModel):
    parking_spot: str | None = Field(default=None, max_length=32)


@router.post("/{fulfilment_id}/locker", response_model=FulfilmentRead)
def load_locker(
    fulfilment_id: Annotated[int, Path(ge=1, le=DB_ID_MAX)],
    data: LockerIn,
    db: DbSession,
    principal: ApiPrincipal,
) -> FulfilmentRead:
    """Put a ready smart-locker pickup into a compartment (the customer's code opens it)."""
    principal.require("write")
    _visible(principal, service.get(db, fulfilment_id=fulfilment_id))
    return service.load_locker(db, fulfilment_id=fulfilment_id, box=data.box, actor=principal.name)


class ParcelPointIn(BaseModel):
    """What happened to a parcel-point pickup: the store sent it (``send``), the point has it
    under its collection code (``arrived``, ``point_code`` required), the customer collected it
    there (``collected``, the same code), the point sent it back (``returned``), or it is back
    at the store (``back_in_store``: cancelled, refunded, restocked once)."""

    event: Literal["send", "arrived", "collected", "returned", "back_in_store"]
    point_code: str | None = Field(default=None, max_length=32)


@router.post("/{fulfilment_id}/parcel-point", response_model=FulfilmentRead)
def parcel_point_event(
    fulfilment_id: Annotated[int, Path(ge=1, le=DB_ID_MAX)],
    data: ParcelPointIn,
    db: DbSession,
    principal: ApiPrincipal,
) -> FulfilmentRead:
    """A parcel-point pickup (快递代收点) moving between the store and the point."""
    principal.require("write")
    _visible(principal, service.get(db, fulfilment_id=fulfilment_id))
    fid, code = fulfilment_id, data.point_code or ""
    if data.event == "send":
        return service.send_to_point(db, fulfilment_id=fid, actor=principal.name)
    if data.event == "arrived":
        return service.arrive_at_point(db, fulfilment_id=fid, point_code=code)
    if data.event == "collected":
        return service.collect_at_point(db, fulfilment_id=fid, point_code=code)
    if data.event == "returned":
        return service.point_returns(db, fulfilment_id=fid)
    return service.returned_to_store(db, fulfilment_id=fid, actor=principal.name)


@router.post("/{fulfilment_id}/arrived", response_model=FulfilmentRead)
def customer_arrived(
    fulfilment_id: Annotated[int, Path(ge=1, le=DB_ID_MAX)],
    data: ArrivedIn,
    db: DbSession,
    principal: ApiPrincipal,
) -> FulfilmentRead:
    """A curbside customer is outside (the mini-program's "我已到店" button)."""
    principal.require("write")
    _visible(principal, service.get(db, fulfilment_id=fulfilment_id))
    return service.customer_arrives(db, fulfilment_id=fulfilment_id, parking_spot=data.parking_spot)


@router.post("/{fulfilment_id}/events/{event}", response_model=FulfilmentRead)
def store_event(
    fulfilment_id: DbId, event: StoreEvent, db: DbSession, principal: ApiPrincipal
) -> FulfilmentRead:
    principal.require("write")
    _visible(principal, service.get(db, fulfilment_id=fulfilment_id))
    return perform(db, fulfilment_id=fulfilment_id, event=event, actor=principal.name)


def perform(db: DbSession, *, fulfilment_id: int, event: str, actor: str) -> FulfilmentRead:
    if event == "start_picking":
        return service.start_picking(db, fulfilment_id=fulfilment_id, actor=actor)
    if event == "mark_ready":
        return service.mark_ready(db, fulfilment_id=fulfilment_id, actor=actor)
    if event == "pack":
        return service.pack(db, fulfilment_id=fulfilment_id, actor=actor)
    if event == "dispatch":
        return delivery.dispatch(db, fulfilment_id=fulfilment_id, actor=actor)
    return service.cancel(db, fulfilment_id=fulfilment_id, reason="store", actor=actor)


@router.post("/{fulfilment_id}/shortage", response_model=list[FulfilmentRead])
def shortage(
    fulfilment_id: DbId, data: ShortageIn, db: DbSession, principal: ApiPrincipal
) -> list[FulfilmentRead]:
    principal.require("write")
    _visible(principal, service.get(db, fulfilment_id=fulfilment_id))
    return service.report_shortage(
        db,
        fulfilment_id=fulfilment_id,
        line_no=data.line_no,
        missing=data.missing,
        actor=principal.name,
    )


@router.post("/{fulfilment_id}/code", response_model=PickupCodeRead)
def reissue_code(fulfilment_id: DbId, db: DbSession, principal: ApiPrincipal) -> PickupCodeRead:
    """A new pickup code; the old one stops working."""
    principal.require("write")
    _visible(principal, service.get(db, fulfilment_id=fulfilment_id))
    return codes.reissue(db, fulfilment_id=fulfilment_id)
