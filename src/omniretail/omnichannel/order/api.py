"""``/api/v1/orders``: operational orders created through omniretail's own API (mini-program,
app, POS integration, clerk, group-buy), their price preview and status lifecycle. A caller
bound to stores creates and sees only its stores' orders."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response, status

from omniretail.omnichannel.order import service
from omniretail.omnichannel.order.pricing import PricingResult
from omniretail.omnichannel.order.schemas import (
    CancelIn,
    OrderCreate,
    OrderRead,
    PayIn,
    ReturnIn,
    StatusChangeRead,
)
from omniretail.platform.auth.deps import ApiPrincipal, DbSession
from omniretail.platform.auth.scope import store_scope
from omniretail.platform.bounds import DB_ID_MAX

router = APIRouter(prefix="/orders", tags=["orders"])
# an id beyond a 64-bit integer is a 422 here, not a database overflow (500)
OrderId = Annotated[int, Path(ge=1, le=DB_ID_MAX)]


def _visible(db: DbSession, who: ApiPrincipal, order_id: OrderId) -> OrderRead:
    order = service.get_order(db, order_id=order_id)
    store_scope(who).require(order.store_code)
    return order


@router.post("", response_model=OrderRead, status_code=status.HTTP_201_CREATED)
def create_order(
    body: OrderCreate, db: DbSession, who: ApiPrincipal, response: Response
) -> OrderRead:
    """Create an order; a replay of the same (channel, external id) answers 200 with the stored
    order, a replay with a different body 409 naming the field."""
    who.require("write")
    store_scope(who).require(body.store_code)
    before = service.find_order(db, channel_code=body.channel_code, external_id=body.external_id)
    order = service.create_order(db, data=body)
    if before is not None:
        response.status_code = status.HTTP_200_OK
    return order


@router.post("/quote", response_model=PricingResult)
def quote_order(body: OrderCreate, db: DbSession, who: ApiPrincipal) -> PricingResult:
    """The discounts the order would get, changing nothing (checkout preview)."""
    who.require("read")
    return service.quote(db, data=body)


@router.get("", response_model=list[OrderRead])
def list_orders(
    db: DbSession,
    who: ApiPrincipal,
    store_code: str | None = None,
    order_status: str | None = Query(None, alias="status"),
    customer_id: str | None = None,
    channel_code: str | None = None,
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0),
) -> list[OrderRead]:
    who.require("read")
    scope = store_scope(who)
    codes = scope.codes()
    if store_code is not None:
        scope.require(store_code)
        codes = [store_code]
    return service.list_orders(
        db,
        store_codes=codes,
        status=order_status,
        customer_id=customer_id,
        channel_code=channel_code,
        limit=limit,
        offset=offset,
    )


@router.get("/{order_id}", response_model=OrderRead)
def get_order(order_id: OrderId, db: DbSession, who: ApiPrincipal) -> OrderRead:
    who.require("read")
    return _visible(db, who, order_id)


@router.get("/{order_id}/history", response_model=list[StatusChangeRead])
def order_history(order_id: OrderId, db: DbSession, who: ApiPrincipal) -> list[StatusChangeRead]:
    who.require("read")
    _visible(db, who, order_id)
    return service.order_history(db, order_id=order_id)


@router.post("/{order_id}/pay", response_model=OrderRead)
def pay_order(order_id: OrderId, body: PayIn, db: DbSession, who: ApiPrincipal) -> OrderRead:
    who.require("write")
    _visible(db, who, order_id)
    return service.pay_order(db, order_id=order_id, tenders=body.tenders)


@router.post("/{order_id}/fulfil", response_model=OrderRead)
def fulfil_order(order_id: OrderId, db: DbSession, who: ApiPrincipal) -> OrderRead:
    who.require("write")
    _visible(db, who, order_id)
    return service.fulfil_order(db, order_id=order_id)


@router.post("/{order_id}/cancel", response_model=OrderRead)
def cancel_order(order_id: OrderId, body: CancelIn, db: DbSession, who: ApiPrincipal) -> OrderRead:
    who.require("write")
    _visible(db, who, order_id)
    return service.cancel_order(db, order_id=order_id, reason=body.reason)


@router.post("/{order_id}/returns", response_model=OrderRead)
def return_order(order_id: OrderId, body: ReturnIn, db: DbSession, who: ApiPrincipal) -> OrderRead:
    who.require("write")
    _visible(db, who, order_id)
    return service.return_order(db, order_id=order_id, data=body)
