"""Console: 导购 — the HQ ranking of clerks (bound customers, tasks done, attributed and
incremental sales against each clerk's holdout) and the clerk workbench, made for a phone:
my customers with tags and last purchases, today's tasks (send through WeCom with the
suggested coupon, copy, done, refused), record a visit. A clerk (console role ``clerk``, user
name = staff code) sees their own workbench; managers and HQ pick a clerk of their stores."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any, TypeVar
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from omniretail.omnichannel.staff import service as staff_service
from omniretail.omnichannel.store import service as store_service
from omniretail.operations.guide import chats, report, service, worklist
from omniretail.operations.guide.schemas import MODE_ZH, SOURCE_ZH, STATUS_ZH, TASK_ZH, VisitIn
from omniretail.platform.auth.deps import DbSession, principal_from_user
from omniretail.platform.auth.scope import StoreScope, store_scope
from omniretail.platform.console.csrf import CsrfProtected
from omniretail.platform.console.render import error_text, render
from omniretail.platform.console.session import ConsoleUser
from omniretail.platform.engine.base import AnalyticsEngine
from omniretail.platform.engine.snapshot import NoPublishedSnapshot, run_on_published
from omniretail.platform.errors import DomainError
from omniretail.platform.timezone import chain_now, to_wall_clock

T = TypeVar("T")
router = APIRouter(tags=["console"])
BASE = "/guide"
RANKED = 50  # clerks in the HQ ranking (the store figures count every clerk)
LIFECYCLE_ZH = {"new": "新客", "active": "活跃", "at_risk": "流失风险", "dormant": "沉睡",
                "churned": "流失", "prospect": "潜客"}  # fmt: skip
TIER_ZH = {"diamond": "钻石", "gold": "黄金", "silver": "白银", "regular": "普通"}
VISIT_ZH = {"store_visit": "到店", "call": "电话回访", "wecom_chat": "企微沟通"}


def _scope(user: Any, db: Session) -> StoreScope:
    return store_scope(principal_from_user(user, db))


def _when(t: datetime | None) -> str:
    return to_wall_clock(service.aware(t)).strftime("%m-%d %H:%M") if t else "—"


def _on_snapshot(fn: Callable[[AnalyticsEngine], T], empty: T) -> T:
    """``fn`` on the cached read-only connection to the published snapshot (no file opened
    per request); ``empty`` when nothing is published yet."""
    try:
        return run_on_published(fn)
    except NoPublishedSnapshot:
        return empty


def _labels() -> dict[str, Any]:
    return {"task": TASK_ZH, "status": STATUS_ZH, "source": SOURCE_ZH, "mode": MODE_ZH,
            "lifecycle": LIFECYCLE_ZH, "tier": TIER_ZH, "visit": VISIT_ZH}  # fmt: skip


@router.get(BASE, response_class=HTMLResponse)
def hq(request: Request, user: ConsoleUser, db: DbSession) -> Response:
    scope = _scope(user, db)
    clerks = _on_snapshot(lambda engine: report.clerk_ranking(db, engine, scope, limit=None), None)
    if clerks is None:
        clerks = report.clerk_ranking(db, None, scope, limit=None)
    ranking = clerks[:RANKED]
    effect = _on_snapshot(lambda engine: report.incremental_effect(engine, scope), None)
    return render(
        request,
        "guide/hq.html",
        {
            "ranking": ranking,
            "stores": report.store_rollup(clerks),
            "clerk_count": len(clerks),
            "effect": effect,
            "policy": service.get_policy(db),
            "bound_total": sum(r["bound"] for r in clerks),
            "store_names": store_service.store_names(db),
            "labels": _labels(),
        },
    )


def _clerk_for(user: Any, db: Session, staff: str | None) -> str | None:
    if user.role == "clerk":
        return str(user.username)
    scope = _scope(user, db)
    if staff:
        s = service.guide_staff(db, staff)
        scope.require(s.store_code)
        return s.staff_id
    clerks = [s for s in staff_service.list_staff(db, role="clerk") if scope.allows(s.store_code)]
    return clerks[0].staff_id if clerks else None


@router.get(BASE + "/me", response_class=HTMLResponse)
def workbench(
    request: Request,
    user: ConsoleUser,
    db: DbSession,
    staff: str | None = None,
    msg: str | None = None,
    err: str | None = None,
    q: Annotated[str | None, Query(max_length=32)] = None,
    source: Annotated[str | None, Query(max_length=16)] = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    code = _clerk_for(user, db, staff)
    me = staff_service.get_staff(db, staff_id=code) if code else None
    today = chain_now().date()
    tasks = worklist.tasks_of(db, staff_code=code, day=today) if code else []
    now = chain_now()
    replies = (
        chats.reply_stats(db, since=now - report.REPLY_WINDOW, until=now, staff_codes=[code])
        if code
        else {}
    )
    mine = None
    if code:
        try:
            mine = service.customers_page(
                db, staff_code=code, q=q, source=source or None, page=page
            )
        except DomainError as exc:  # a bad filter: said on the page, the list unfiltered
            err = error_text(request, exc)
            mine = service.customers_page(db, staff_code=code)
    customers = mine.items if mine else []
    ids = [c.customer_id for c in customers]
    no_cards: dict[str, dict[str, Any]] = {}
    cards = _on_snapshot(lambda engine: report.customer_cards(engine, ids), no_cards)
    return render(
        request,
        "guide/workbench.html",
        {
            "me": me,
            "today": today,
            "tasks": tasks,
            "open_tasks": sum(t.status == "open" for t in tasks),
            "replies": replies.get(code) if code else None,
            "customers": customers,
            "mine": mine,
            "filters": {"q": (q or "").strip(), "source": source or ""},
            "page_url": lambda n: _page_url(code, q, source, n),
            "cards": cards,
            "visits": worklist.visits_of(db, staff_code=code, limit=5) if code else [],
            "when": _when,
            "labels": _labels(),
            "msg": msg,
            "err": err,
            "chooser": user.role != "clerk",
            "clerks": []
            if user.role == "clerk"
            else [s for s in staff_service.list_staff(db, role="clerk")
                  if _scope(user, db).allows(s.store_code)][:200],
        },
    )  # fmt: skip


def _page_url(code: str | None, q: str | None, source: str | None, page: int) -> str:
    params = {"staff": code, "q": (q or "").strip() or None, "source": source or None,
              "page": page if page > 1 else None}  # fmt: skip
    return BASE + "/me?" + urlencode({k: v for k, v in params.items() if v})


def _back(code: str, *, msg: str | None = None, err: str | None = None) -> RedirectResponse:
    q = f"?staff={quote(code)}"
    if msg:
        q += f"&msg={quote(msg)}"
    if err:
        q += f"&err={quote(err)}"
    return RedirectResponse(BASE + "/me" + q, status_code=303)


@router.post(BASE + "/me/tasks/{task_id}", dependencies=[CsrfProtected])
def act(
    request: Request,
    task_id: int,
    user: ConsoleUser,
    db: DbSession,
    action: Annotated[str, Form()],
    staff: Annotated[str, Form()],
    coupon: Annotated[str | None, Form()] = None,
) -> Response:
    code = _clerk_for(user, db, staff)
    assert code is not None
    if user.role not in ("clerk", "admin", "store_manager", "marketer"):
        return _back(code, err="无权操作")
    try:
        t = worklist.act(db, task_id=task_id, staff_code=code, action=action,
                         issue_coupon=coupon == "1")  # fmt: skip
    except DomainError as exc:
        db.rollback()
        return _back(code, err=error_text(request, exc))
    done = {"send": "已通过企业微信发送", "copy": "已复制话术，请在企业微信中发送",
            "done": "已完成", "refused": "已记录客户拒绝"}[action]  # fmt: skip
    return _back(code, msg=f"{done}" + (f"（券码 {t.coupon_code}）" if t.coupon_code else ""))


@router.post(BASE + "/me/visits", dependencies=[CsrfProtected])
def visit(
    request: Request,
    user: ConsoleUser,
    db: DbSession,
    staff: Annotated[str, Form()],
    customer_id: Annotated[str, Form()],
    kind: Annotated[str, Form()] = "store_visit",
    note: Annotated[str | None, Form()] = None,
) -> Response:
    code = _clerk_for(user, db, staff)
    assert code is not None
    try:
        v = VisitIn.model_validate({"customer_id": customer_id, "kind": kind, "note": note})
        worklist.record_visit(db, staff_code=code, visit=v)
    except DomainError as exc:
        db.rollback()
        return _back(code, err=error_text(request, exc))
    except ValueError:
        return _back(code, err="请填写客户编号和拜访方式")
    return _back(code, msg="已记录拜访")
