"""Console: 社区团购. HQ sees the activities with their KPIs (orders, GMV, 成团, coupon
redemption, no-shows), the leader ranking and the applications to decide; a leader's
workbench (works at a phone's width) shows their orders by status, the pick list of each
formed activity, pickup by code and the commission pending / frozen / available. A store
user sees the leaders of their stores only."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

from omniretail.omnichannel.store import service as store_service
from omniretail.operations.groupbuy import commission, kpi, service, settle
from omniretail.operations.groupbuy.errors import GroupBuyError, NotYourPoint
from omniretail.operations.groupbuy.schemas import (
    ACTIVITY_STATUS_ZH,
    LEADER_STATUS_ZH,
    ORDER_STATUS_ZH,
    TIER_ZH,
    LeaderDecision,
)
from omniretail.platform import audit
from omniretail.platform.auth import service as auth_service
from omniretail.platform.auth.deps import DbSession, principal_from_user
from omniretail.platform.auth.models import User
from omniretail.platform.auth.scope import StoreScope, store_scope
from omniretail.platform.console.csrf import CsrfProtected
from omniretail.platform.console.locale import request_locale
from omniretail.platform.console.render import render
from omniretail.platform.console.session import ConsoleUser
from omniretail.platform.errors import DomainError
from omniretail.platform.keys import normalize_key
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


def _guard(user: Any, db: DbSession, code: str) -> str:
    """The leader ``code`` as the caller may see it: a leader's login (role ``leader``, user
    name = leader code) only their own point; everyone else the leaders of their stores."""
    leader = service.get_leader(db, code=code)
    if user.role == "leader":
        if normalize_key(user.username) != leader.code:
            raise NotYourPoint(
                f"团长账号 {user.username} 只能查看自己的自提点和订单",
                f"leader login {user.username!r} sees only its own point",
                field="code",
            )
    else:
        _scope(user, db).require(leader.store_code)
    return leader.code


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
        "entry_label": (lambda s: commission.ENTRY_ZH.get(s, s)) if zh else (lambda s: s),
        **kw,
    }


def _error(request: Request, e: DomainError) -> str:
    zh = getattr(e, "message_zh", None)
    return str(zh) if zh and request_locale(request).startswith("zh") else e.detail


def _hq(
    request: Request,
    user: Any,
    db: DbSession,
    *,
    message: str | None = None,
    error: str | None = None,
    login: str | None = None,
    status_code: int = 200,
) -> Response:
    scope = _scope(user, db)
    codes = scope.codes()
    active = service.list_leaders(db, store_codes=codes, status="active")
    admin = user.role == "admin"
    logins = (
        set(
            db.scalars(
                select(User.username).where(
                    User.role == "leader", User.username.in_([a.code for a in active])
                )
            )
        )
        if admin
        else set()
    )
    return render(
        request,
        "groupbuy/hq.html",
        _ctx(
            request,
            k=kpi.kpis(db, store_codes=codes),
            applications=service.list_leaders(db, store_codes=codes, status="applied"),
            activities={a.code: a for a in service.list_activities(db)},
            accounts=[(a, a.code in logins) for a in active][:200] if admin else [],
            store_names=store_service.store_names(db),
            login=login,
            message=message,
            error=error,
        ),
        status_code=status_code,
    )


@router.get(BASE, response_class=HTMLResponse)
def hq(request: Request, user: ConsoleUser, db: DbSession) -> Response:
    if user.role == "leader":
        return RedirectResponse(BASE + "/me", status_code=303)
    return _hq(request, user, db)


@router.get(BASE + "/me", response_class=HTMLResponse)
def me(user: ConsoleUser) -> Response:
    """A leader's own workbench (their login's home); others go to the overview."""
    if user.role == "leader":
        return RedirectResponse(f"{BASE}/leaders/{quote(user.username)}", status_code=303)
    return RedirectResponse(BASE, status_code=303)


@router.post(BASE + "/leaders/{code}/account", dependencies=[CsrfProtected])
def account(
    request: Request,
    user: ConsoleUser,
    db: DbSession,
    code: str,
    password: Annotated[str, Form()],
) -> Response:
    """An administrator opens (or resets) an active leader's console login: user name = the
    leader's code, role ``leader`` (sees only their own point's pages)."""
    zh = request_locale(request).startswith("zh")
    if user.role != "admin":
        return _hq(request, user, db, error="只有管理员可以开通团长账号" if zh
                   else "Only an administrator opens leader logins", status_code=403)  # fmt: skip
    leader = service.get_leader(db, code=code)
    if leader.status != "active":
        return _hq(request, user, db, status_code=422, error=(
            f"团长 {leader.name} 当前为「{LEADER_STATUS_ZH[leader.status]}」，不能开通账号"
            if zh else f"leader {leader.code} is {leader.status}"))  # fmt: skip
    if len(password) < 8:
        too_short = "密码至少 8 位" if zh else "The password needs 8 characters or more"
        return _hq(request, user, db, status_code=422, error=too_short)
    other = db.scalar(select(User).where(User.username == leader.code))
    if other is not None and other.role != "leader":
        return _hq(request, user, db, status_code=409, error=(
            f"用户名 {leader.code} 已被其他账号使用" if zh
            else f"the user name {leader.code} belongs to another login"))  # fmt: skip
    auth_service.ensure_user(db, username=leader.code, password=password, role="leader",
                             display_name=leader.name, store_ids=[])  # fmt: skip
    audit.record(db, actor=user.username, action="groupbuy.leader_login", object_type="user",
                 object_id=leader.code, detail={"reset": other is not None})  # fmt: skip
    opened = (
        f"已为团长 {leader.name} 开通账号，登录名" if zh else f"Login opened for {leader.name}:"
    )
    return _hq(request, user, db, message=opened, login=leader.code)


@router.post(BASE + "/leaders/{code}/decision", dependencies=[CsrfProtected])
def decide(
    request: Request,
    user: ConsoleUser,
    db: DbSession,
    code: str,
    approve: Annotated[str, Form()],
) -> Response:
    leader = service.get_leader(db, code=code)
    if user.role == "leader":
        raise NotYourPoint("团长账号不能审核申请", "a leader login cannot decide applications")
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
            entries=settle.entries(db, leader=code, limit=20),
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
    return _workbench(request, db, _guard(user, db, code), status)


@router.post(BASE + "/leaders/{code}/pickup", dependencies=[CsrfProtected])
def pickup(
    request: Request,
    user: ConsoleUser,
    db: DbSession,
    code: str,
    pickup_code: Annotated[str, Form()],
) -> Response:
    code = _guard(user, db, code)
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
    code = _guard(user, db, code)
    try:
        settle.arrive(db, activity=activity, leader=code, actor=user.username)
    except GroupBuyError as e:
        db.rollback()
        return _workbench(request, db, code, None, error=_error(request, e), status_code=422)
    return RedirectResponse(f"{BASE}/leaders/{code}", status_code=303)
