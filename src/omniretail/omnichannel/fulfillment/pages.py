"""Store console for fulfilment (works on a phone): orders by state, a pick list, verify a
pickup code or scan its QR (a scanner types the QR's content), hand over; the HQ view of the
fulfilment KPIs per store and region; stock levels and availability. A store user sees only
their stores."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from omniretail.omnichannel.fulfillment import codes, delivery, flow, kpi, service
from omniretail.omnichannel.fulfillment.errors import FulfilmentError
from omniretail.omnichannel.inventory import allocation
from omniretail.omnichannel.inventory import service as inventory
from omniretail.omnichannel.inventory.errors import InventoryError
from omniretail.omnichannel.product import service as products
from omniretail.platform.auth.deps import DbSession, principal_from_user
from omniretail.platform.auth.scope import StoreScope, store_scope
from omniretail.platform.console.csrf import CsrfProtected
from omniretail.platform.console.locale import request_locale
from omniretail.platform.console.render import render
from omniretail.platform.console.session import ConsoleUser
from omniretail.platform.errors import DomainError
from omniretail.platform.jobs.schedule import CRON_TZ

router = APIRouter(tags=["console"])
BASE = "/omnichannel/fulfilment"
STATE_ORDER = [
    "allocated",
    "picking",
    "ready_for_pickup",
    "in_locker",
    "customer_arrived",
    "packed",
    "awaiting_rider",
    "rider_assigned",
    "rider_at_store",
    "in_delivery",
    "to_point",
    "at_point",
    "returning",
    "placed",
    "picked_up",
    "delivered",
    "cancelled",
]


def _scope(user: Any, db: DbSession) -> StoreScope:
    return store_scope(principal_from_user(user, db))


def _stores(db: DbSession, scope: StoreScope) -> list[Any]:
    return [loc for loc in inventory.list_locations(db, kind="store") if scope.allows(loc.code)]


def _names(db: DbSession, fulfilments: list[Any], stores: list[Any]) -> dict[str, Any]:
    """Products and stores by name on the cards and the pick list (a clerk picks 手撕面包, not
    SKU 101410); an unknown SKU or store shows its code."""
    skus = {ln.sku for f in fulfilments for ln in f.lines}
    names = inventory.item_names(db, skus=skus)  # the stock item's name, else the catalogue's
    names.update({sku: p.name for sku, p in products.get_products(db, skus=skus).items()})
    return {
        "product_name": lambda sku: names.get(sku, sku),
        "store_names": {st.code: st.name for st in stores},
    }


def _when(at: datetime | None) -> str:
    return at.astimezone(CRON_TZ).strftime("%m-%d %H:%M") if at else "—"


def _message(request: Request, err: DomainError) -> str:
    zh = getattr(err, "message_zh", None) or err.extra.get("message_zh")
    return str(zh) if zh and request_locale(request).startswith("zh") else err.detail


# the stock ledger's movement kinds and the kinds of stock location, as the page names them
MOVES = {
    "receipt": ("入库", "receipt"),
    "sale": ("销售出库", "sale"),
    "return": ("退货入库", "return"),
    "transfer_in": ("调拨入库", "transfer in"),
    "transfer_out": ("调拨出库", "transfer out"),
    "count": ("盘点", "stock count"),
    "adjust": ("调整", "adjustment"),
    "reserve": ("占用", "reserved"),
    "release": ("释放占用", "released"),
    "expire": ("占用过期", "reservation expired"),
    "commit": ("出库确认", "committed"),
}
LOCATION_KINDS = {"store": ("门店", "store"), "warehouse": ("仓库", "warehouse")}


def _ctx(request: Request, **kw: Any) -> dict[str, Any]:
    zh = request_locale(request).startswith("zh")
    pick = 0 if zh else 1
    return {
        "move_label": lambda k: MOVES[k][pick] if k in MOVES else k,
        "location_label": lambda k: LOCATION_KINDS[k][pick] if k in LOCATION_KINDS else k,
        "when": _when,
        "state_label": (lambda s: flow.STATE_ZH.get(s, s))
        if zh
        else (lambda s: flow.STATE_EN.get(s, s)),
        "event_label": (lambda e: flow.EVENT_ZH.get(e, e))
        if zh
        else (lambda e: flow.EVENT_EN.get(e, e.replace("_", " "))),
        "mode_label": (lambda m: flow.MODES.get(m, m))
        if zh
        else (lambda m: flow.MODES_EN.get(m, m.replace("_", " "))),
        "kind_label": (lambda k: flow.PICKUP_KINDS.get(k, k))
        if zh
        else (lambda k: flow.PICKUP_KINDS_EN.get(k, k.replace("_", " "))),
        "delivery_label": (lambda c: delivery.STATUS_ZH.get(c, str(c)))
        if zh
        else (lambda c: delivery.STATUS_EN.get(c, str(c))),
        "zh": zh,
        "base": BASE,
        **kw,
    }


@router.get(BASE, response_class=HTMLResponse)
def orders(
    request: Request,
    user: ConsoleUser,
    db: DbSession,
    store: str | None = None,
    state: str | None = None,
) -> Response:
    scope = _scope(user, db)
    stores = _stores(db, scope)
    if store is not None:
        scope.require(store)
    codes_ = [store] if store else scope.codes()
    every = service.list_fulfilments(db, store_codes=codes_, limit=500)
    counts = Counter(f.state for f in every)
    shown = [f for f in every if state is None or f.state == state]
    tabs = [s for s in STATE_ORDER if counts.get(s)]
    return render(
        request,
        "fulfilment/orders.html",
        _ctx(
            request,
            stores=stores,
            store=store,
            state=state,
            counts=counts,
            tabs=tabs,
            fulfilments=shown[:100],
            **_names(db, shown[:100], stores),
        ),
    )


@router.get(BASE + "/picklist", response_class=HTMLResponse)
def picklist(
    request: Request, user: ConsoleUser, db: DbSession, store: str | None = None
) -> Response:
    """Everything to pick in a store now (allocated and picking orders), by SKU. Opened without
    a store (the area's tab), it picks the caller's only store or asks which one."""
    scope = _scope(user, db)
    stores = _stores(db, scope)
    if store is None:
        if len(stores) != 1:
            return render(
                request, "fulfilment/picklist.html", _ctx(request, store=None, stores=stores)
            )
        store = stores[0].code
    scope.require(store)
    todo = [
        f
        for f in service.list_fulfilments(db, store_codes=[store], limit=500)
        if f.state in ("allocated", "picking")
    ]
    by_sku: Counter[str] = Counter()
    for f in todo:
        for ln in f.lines:
            by_sku[ln.sku] += ln.quantity
    return render(
        request,
        "fulfilment/picklist.html",
        _ctx(
            request,
            store=store,
            stores=stores,
            orders=todo,
            by_sku=sorted(by_sku.items()),
            **_names(db, todo, stores),
        ),
    )


@router.get(BASE + "/verify", response_class=HTMLResponse)
def verify_form(
    request: Request, user: ConsoleUser, db: DbSession, store: str | None = None
) -> Response:
    scope = _scope(user, db)
    stores = _stores(db, scope)
    return render(
        request,
        "fulfilment/verify.html",
        _ctx(
            request,
            stores=stores,
            store=store or (stores[0].code if stores else None),
            result=None,
            error=None,
            terminal=f"web-{user.username}",
        ),
    )


@router.post(BASE + "/verify", response_class=HTMLResponse, dependencies=[CsrfProtected])
def verify(
    request: Request,
    user: ConsoleUser,
    db: DbSession,
    store: Annotated[str, Form()],
    code: Annotated[str, Form()],
    terminal: Annotated[str, Form()],
) -> Response:
    scope = _scope(user, db)
    scope.require(store)
    result, error = None, None
    try:
        out = codes.verify(db, store_code=store, code=code, terminal=terminal, staff=user.username)
        if out.ok:
            assert out.fulfilment_id is not None
            result = service.get(db, fulfilment_id=out.fulfilment_id)
        else:
            db.commit()  # the failed attempt counts towards the terminal's limit
            out.raise_for_failure()
    except (FulfilmentError, InventoryError) as e:
        error = _message(request, e)
    return render(
        request,
        "fulfilment/verify.html",
        _ctx(
            request,
            stores=_stores(db, scope),
            store=store,
            result=result,
            error=error,
            terminal=terminal,
        ),
        status_code=200 if error is None else 422,
    )


@router.post(BASE + "/track", dependencies=[CsrfProtected])
def track(request: Request, user: ConsoleUser, db: DbSession) -> Response:
    """Ask the delivery provider for the state of every open delivery now."""
    if user.role not in ("admin", "store_manager", "clerk"):
        from omniretail.platform.auth.errors import PermissionDenied

        raise PermissionDenied("只有门店员工和管理员可以刷新配送状态")
    changed = delivery.track(db) if delivery.configured() else 0
    return RedirectResponse(f"{BASE}?tracked={changed}", status_code=303)


@router.get(BASE + "/kpi", response_class=HTMLResponse)
def kpis(request: Request, user: ConsoleUser, db: DbSession) -> Response:
    scope = _scope(user, db)
    return render(
        request,
        "fulfilment/kpi.html",
        _ctx(
            request,
            by_store=kpi.kpis(db, by="store", store_codes=scope.codes()),
            by_region=kpi.kpis(db, by="region", store_codes=scope.codes()),
        ),
    )


@router.get(BASE + "/{fulfilment_id}", response_class=HTMLResponse)
def detail(
    request: Request, fulfilment_id: int, user: ConsoleUser, db: DbSession, error: str | None = None
) -> Response:
    f = service.get(db, fulfilment_id=fulfilment_id)
    _scope(user, db).require(f.store_code)
    code = codes.current(db, fulfilment_id=f.id) if f.state in service.COLLECTABLE else None
    return render(
        request,
        "fulfilment/detail.html",
        _ctx(
            request,
            f=f,
            code=code,
            history=service.history(db, fulfilment_id=f.id),
            error=error,
            actions=[e for e in f.allowed if e in STAFF_EVENTS],
            point_name=service.point_name(db, f.parcel_point) if f.parcel_point else None,
        ),
    )


STAFF_EVENTS = ("start_picking", "mark_ready", "pack", "dispatch", "send_to_point", "cancel")


@router.post(BASE + "/{fulfilment_id}/do/{event}", dependencies=[CsrfProtected])
def act(
    request: Request,
    fulfilment_id: int,
    event: str,
    user: ConsoleUser,
    db: DbSession,
    box: Annotated[str | None, Form()] = None,
    point_code: Annotated[str | None, Form()] = None,
) -> Response:
    f = service.get(db, fulfilment_id=fulfilment_id)
    _scope(user, db).require(f.store_code)
    try:
        if event == "start_picking":
            service.start_picking(db, fulfilment_id=f.id, actor=user.username)
        elif event == "mark_ready":
            service.mark_ready(db, fulfilment_id=f.id, actor=user.username)
        elif event == "pack":
            service.pack(db, fulfilment_id=f.id, actor=user.username)
        elif event == "dispatch":
            delivery.dispatch(db, fulfilment_id=f.id, actor=user.username)
        elif event == "cancel":
            service.cancel(db, fulfilment_id=f.id, reason="store", actor=user.username)
        elif event == "reissue":
            codes.reissue(db, fulfilment_id=f.id)
        elif event == "load_locker":
            service.load_locker(
                db, fulfilment_id=f.id, box=(box or "").strip(), actor=user.username
            )
        elif event == "send_to_point":
            service.send_to_point(db, fulfilment_id=f.id, actor=user.username)
        elif event == "arrive_at_point":  # the point's notice, recorded by the store
            service.arrive_at_point(db, fulfilment_id=f.id, point_code=point_code or "")
        elif event == "collect_at_point":
            service.collect_at_point(db, fulfilment_id=f.id, point_code=point_code or "")
        elif event == "returned_to_store" and f.pickup_kind == "parcel_point":
            service.returned_to_store(db, fulfilment_id=f.id, actor=user.username)
        else:
            return RedirectResponse(f"{BASE}/{f.id}", status_code=303)
    except (FulfilmentError, InventoryError) as e:
        db.rollback()
        return detail(request, f.id, user, db, error=_message(request, e))
    return RedirectResponse(f"{BASE}/{f.id}", status_code=303)


@router.post(BASE + "/{fulfilment_id}/shortage", dependencies=[CsrfProtected])
def shortage(
    request: Request,
    fulfilment_id: int,
    user: ConsoleUser,
    db: DbSession,
    line_no: Annotated[int, Form()],
    missing: Annotated[int, Form()],
) -> Response:
    f = service.get(db, fulfilment_id=fulfilment_id)
    _scope(user, db).require(f.store_code)
    try:
        service.report_shortage(
            db, fulfilment_id=f.id, line_no=line_no, missing=missing, actor=user.username
        )
    except (FulfilmentError, InventoryError) as e:
        db.rollback()
        return detail(request, f.id, user, db, error=_message(request, e))
    return RedirectResponse(f"{BASE}/{f.id}", status_code=303)


@router.get("/omnichannel/stock", response_class=HTMLResponse)
def stock(
    request: Request,
    user: ConsoleUser,
    db: DbSession,
    store: str | None = None,
    sku: str | None = None,
) -> Response:
    scope = _scope(user, db)
    stores = _stores(db, scope)
    store = store or (stores[0].code if stores else None)
    levels, movements, avail, error = [], [], None, None
    try:
        if store:
            scope.require(store)
            levels = inventory.list_levels(db, location=store, sku=sku or None, limit=200)
            movements = inventory.list_movements(db, location=store, sku=sku or None, limit=30)
        if sku:
            avail = allocation.availability(db, sku=sku)
            avail.locations = [
                a
                for a in avail.locations
                if scope.allows(inventory.scope_store_of(db, code=a.location))
            ]
    except InventoryError as e:
        error = _message(request, e)
    return render(
        request,
        "fulfilment/stock.html",
        _ctx(
            request,
            stores=stores,
            store=store,
            sku=sku or "",
            levels=levels,
            movements=movements,
            avail=avail,
            error=error,
        ),
    )
