"""Console: 社区团购. HQ sees the activities with their KPIs (orders, GMV, 成团, coupon
redemption, no-shows), the leader ranking and the applications to decide; a leader's
workbench (works at a phone's width) shows their orders by status, the pick list of each
formed activity, pickup by code and the commission pending / frozen / available. A store
user sees the leaders of their stores only."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from omniretail.operations.groupbuy import commission, kpi, service, settle
from omniretail.operations.groupbuy.errors import GroupBuyError
from omniretail.operations.groupbuy.schemas import (
    ACTIVITY_STATUS_ZH,
    LEADER_STATUS_ZH,
    ORDER_STATUS_ZH,
    TIER_ZH,
    LeaderDecision,
)
from omniretail.platform.auth.deps import DbSession, principal_from_user
from omniretail.platform.auth.scope import StoreScope, store_scope
from omniretail.platform.console.csrf import CsrfProtected
from omniretail.platform.console.locale import request_locale
from omniretail.platform.console.render import render
from omniretail.platform.console.session import ConsoleUser
from omniretail.platform.errors import DomainError
from omniretail.platform.timezone import CHAIN_TZ

router = APIRouter(tags=["console"])
BASE = "/operations/groupbuy"
STATUS_ORDER = ["paid", "formed", "ready", "picked_up", "no_show", "cancelled", "refunded"]
STATUS_EN = {
    "paid": "Paid",
    "formed": "Awaiting goods",
    "ready": "Ready for pickup",
    "picked_up": "Collected",
    "no_show": "Not collected",
    "cancelled": "Not formed, refunded",
    "refunded": "Refunded in full",
}


def _scope(user: Any, db: DbSession) -> StoreScope:
    return store_scope(principal_from_user(user, db))


def _when(at: datetime | None) -> str:
    if at is None:
        return "—"
    return service.aware(at).astimezone(CHAIN_TZ).strftime("%m-%d %H:%M")


def _yuan(fen: int | None) -> str:
    return "—" if fen is None else f"¥{fen / 100:,.2f}"


def _pct(x: float | None) -> str:
    return "—" if x is None else f"{x * 100:.1f}%"


def _ctx(request: Request, **kw: Any) -> dict[str, Any]:
    zh = request_locale(request).startswith("zh")
    return {
        "base": BASE,
        "when": _when,
        "yuan": _yuan,
        "pct": _pct,
        "zh": zh,
        "order_label": (lambda s: ORDER_STATUS_ZH.get(s, s))
        if zh
        else (lambda s: STATUS_EN.get(s, s)),
        "activity_label": (lambda s: ACTIVITY_STATUS_ZH.get(s, s)) if zh else (lambda s: s),
        "leader_label": (lambda s: LEADER_STATUS_ZH.get(s, s)) if zh else (lambda s: s),
        "tier_label": (lambda s: TIER_ZH.get(s, s)) if zh else (lambda s: s),
        "bucket_label": (lambda s: commission.BUCKET_ZH.get(s, s)) if zh else (lambda s: s),
        **kw,
    }


def _error(request: Request, e: DomainError) -> str:
    zh = getattr(e, "message_zh", None)
    return str(zh) if zh and request_locale(request).startswith("zh") else e.detail


@router.get(BASE, response_class=HTMLResponse)
def hq(request: Request, user: ConsoleUser, db: DbSession) -> Response:
    scope = _scope(user, db)
    codes = scope.codes()
    return render(
        request,
        "groupbuy/hq.html",
        _ctx(
            request,
            k=kpi.kpis(db, store_codes=codes),
            applications=service.list_leaders(db, store_codes=codes, status="applied"),
            activities={a.code: a for a in service.list_activities(db)},
        ),
    )


@router.post(BASE + "/leaders/{code}/decision", dependencies=[CsrfProtected])
def decide(
    request: Request,
    user: ConsoleUser,
    db: DbSession,
    code: str,
    approve: Annotated[str, Form()],
) -> Response:
    leader = service.get_leader(db, code=code)
    _scope(user, db).require(leader.store_code)
    service.decide_leader(
        db, code=code, data=LeaderDecision(approve=approve == "1"), by=user.username
    )
    return RedirectResponse(BASE, status_code=303)


def _workbench(
    request: Request,
    db: DbSession,
    code: str,
    status: str | None,
    *,
    message: str | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    leader = service.get_leader(db, code=code)
    orders = service.list_orders(db, leader=code, limit=500)
    counts = Counter(o.status for o in orders)
    formed = [
        a for a in service.list_activities(db) if a.status == "formed" and leader.code in a.leaders
    ]
    picks = [settle.pick_list(db, activity=a.code, leader=code) for a in formed[:5]]
    return render(
        request,
        "groupbuy/leader.html",
        _ctx(
            request,
            leader=leader,
            orders=[o for o in orders if status is None or o.status == status][:100],
            counts=counts,
            tabs=[s for s in STATUS_ORDER if counts.get(s)],
            status=status,
            picks=picks,
            arrived={p.activity: all(o.status != "formed" for o in p.orders) for p in picks},
            titles={a.code: a.title for a in formed},
            balance=settle.balance(db, leader=code),
            message=message,
            error=error,
        ),
        status_code=status_code,
    )


@router.get(BASE + "/leaders/{code}", response_class=HTMLResponse)
def workbench(
    request: Request, user: ConsoleUser, db: DbSession, code: str, status: str | None = None
) -> Response:
    """The leader's workbench (a phone screen): orders by status, pick lists, commission."""
    _scope(user, db).require(service.get_leader(db, code=code).store_code)
    return _workbench(request, db, code, status)


@router.post(BASE + "/leaders/{code}/pickup", dependencies=[CsrfProtected])
def pickup(
    request: Request,
    user: ConsoleUser,
    db: DbSession,
    code: str,
    pickup_code: Annotated[str, Form()],
) -> Response:
    _scope(user, db).require(service.get_leader(db, code=code).store_code)
    try:
        done = settle.pick_up(db, leader=code, code=pickup_code, terminal=f"web-{user.username}")
    except DomainError as e:
        db.rollback()
        return _workbench(request, db, code, None, error=_error(request, e), status_code=422)
    zh = request_locale(request).startswith("zh")
    msg = f"订单 {done.external_id} 已取货" if zh else f"Order {done.external_id} collected"
    return _workbench(request, db, code, None, message=msg)


@router.post(BASE + "/leaders/{code}/arrival", dependencies=[CsrfProtected])
def arrival(
    request: Request,
    user: ConsoleUser,
    db: DbSession,
    code: str,
    activity: Annotated[str, Form()],
) -> Response:
    _scope(user, db).require(service.get_leader(db, code=code).store_code)
    try:
        settle.arrive(db, activity=activity, leader=code, actor=user.username)
    except GroupBuyError as e:
        db.rollback()
        return _workbench(request, db, code, None, error=_error(request, e), status_code=422)
    return RedirectResponse(f"{BASE}/leaders/{code}", status_code=303)
