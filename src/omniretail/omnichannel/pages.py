"""Console: the omnichannel landing page (全渠道: stores by kind, channels, the latest orders)
and the list of operational orders. A store user sees only their stores' orders and staff."""

from __future__ import annotations

from collections import Counter
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from omniretail.omnichannel.channel import service as channel_service
from omniretail.omnichannel.channel.schemas import CHANNEL_KIND_LABELS
from omniretail.omnichannel.order import service as order_service
from omniretail.omnichannel.order.schemas import ORDER_STATUS_LABELS
from omniretail.omnichannel.staff import service as staff_service
from omniretail.omnichannel.store import service as store_service
from omniretail.omnichannel.store.schemas import STORE_KIND_LABELS
from omniretail.platform.auth.deps import DbSession, principal_from_user
from omniretail.platform.auth.scope import store_scope
from omniretail.platform.console.render import render
from omniretail.platform.console.session import ConsoleUser
from omniretail.platform.timezone import to_wall_clock

router = APIRouter(tags=["console"])
KIND_EN = {"direct": "Direct", "franchise": "Franchise", "warehouse": "Warehouse",
           "pickup_point": "Pickup point"}  # fmt: skip
CHANNEL_EN = {"online": "Online", "offline": "Offline", "platform": "Platform"}
STATUS_EN = {"placed": "Placed", "paid": "Paid", "fulfilled": "Fulfilled",
             "cancelled": "Cancelled", "returned": "Returned",
             "partially_returned": "Partly returned"}  # fmt: skip


def _names(db: Any) -> dict[str, Any]:
    """Channels and stores by name in the orders table (their codes are no word for a clerk)."""
    return {
        "channel_names": {
            c.code: (c.name, c.name_en or c.name) for c in channel_service.list_channels(db)
        },
        "store_names": store_service.store_names(db),
    }


def _labels() -> dict[str, Any]:
    return {
        "wall": to_wall_clock,  # instants shown in the chain's time zone
        "store_kinds": {k: (v, KIND_EN[k]) for k, v in STORE_KIND_LABELS.items()},
        "channel_kinds": {k: (v, CHANNEL_EN[k]) for k, v in CHANNEL_KIND_LABELS.items()},
        "statuses": {k: (v, STATUS_EN[k]) for k, v in ORDER_STATUS_LABELS.items()},
    }


@router.get("/omnichannel", response_class=HTMLResponse)
def omnichannel_page(request: Request, user: ConsoleUser, db: DbSession) -> Response:
    scope = store_scope(principal_from_user(user, db))
    stores = [s for s in store_service.list_stores(db) if scope.allows(s.code)]
    staff = [s for s in staff_service.list_staff(db) if scope.allows(s.store_code)]
    return render(
        request,
        "omnichannel/index.html",
        {
            "by_kind": Counter(s.kind for s in stores),
            "stores": len(stores),
            "staff": len(staff),
            "channels": channel_service.list_channels(db),
            "orders": order_service.list_orders(db, store_codes=scope.codes(), limit=20),
            **_names(db),
            **_labels(),
        },
    )


@router.get("/omnichannel/orders", response_class=HTMLResponse)
def orders_page(
    request: Request,
    user: ConsoleUser,
    db: DbSession,
    status: str | None = Query(None, max_length=24),
    store_code: str | None = Query(None, max_length=32),
) -> Response:
    scope = store_scope(principal_from_user(user, db))
    codes = scope.codes()
    if store_code:
        scope.require(store_code)
        codes = [store_code]
    wanted = status if status in ORDER_STATUS_LABELS else None
    orders = order_service.list_orders(db, store_codes=codes, status=wanted, limit=200)
    return render(
        request,
        "omnichannel/orders.html",
        {
            "orders": orders,
            "status": wanted,
            "store_code": store_code or "",
            **_names(db),
            **_labels(),
        },
    )
