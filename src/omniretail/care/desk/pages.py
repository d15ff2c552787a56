"""Console: the 客服 page — the agents' queue with SLA clocks in business hours, conversation
states, crisis tickets from the alerts, and SLA met per team."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from omniretail.care.alerts import service as alerts_service
from omniretail.care.alerts.playbooks import DEFAULT as DEFAULT_PLAYBOOK
from omniretail.care.alerts.playbooks import PLAYBOOKS
from omniretail.care.assistant import service as assistant
from omniretail.care.desk import report, service, workspace
from omniretail.care.desk.errors import TicketNotFound
from omniretail.care.desk.sla import PRIORITY_ZH
from omniretail.insight.voice.aspects import ASPECT_LABELS
from omniretail.omnichannel.store import service as store_service
from omniretail.platform import export
from omniretail.platform.auth.deps import DbSession, principal_from_user
from omniretail.platform.auth.errors import PermissionDenied
from omniretail.platform.auth.scope import store_scope
from omniretail.platform.console.csrf import CsrfProtected
from omniretail.platform.console.locale import request_locale
from omniretail.platform.console.render import error_text, render
from omniretail.platform.console.session import ConsoleUser
from omniretail.platform.db import utcnow
from omniretail.platform.errors import DomainError
from omniretail.platform.timezone import CHAIN_TZ

router = APIRouter(tags=["console"])

STATE_ZH = {
    "unhandled": "未处理",
    "bot": "机器人接待",
    "queued": "排队中",
    "agent": "人工接待",
    "closed": "已结束",
}
STATUS_ZH = {"open": "处理中", "pending": "等待中", "solved": "已解决", "closed": "已关闭"}
CHANNEL_ZH = {
    "wecom": "微信客服",
    "miniprogram": "小程序",
    "app": "App",
    "email": "邮件",
    "phone": "电话",
    "review": "评价回复",
}
SCOPE_ZH = {"store": "门店", "city": "城市", "national": "全国"}
DIRECTION_ZH = {"in": "客户", "bot": "机器人", "out": "客服", "note": "内部备注"}
REASON_ZH = {
    "answered": "已回答",
    "handover_requested": "客户要求转人工",
    "below_threshold": "没有把握，转人工",
    "empty": "空消息",
    "no_text": "没有文字",
    "needs_identity": "需要验证身份",
    "data_unavailable": "数据不全，转人工",
}
TEAMS = ("service", "after-sales", "fulfilment", "store-ops", "quality")
TEAM_ZH = {
    "service": "客服组",
    "after-sales": "售后组",
    "fulfilment": "履约组",
    "store-ops": "门店运营",
    "quality": "品控组",
    "category": "品类组",
    "marketing": "市场部",
    "pr": "公关部",
    "service-lead": "客服组组长",
    "after-sales-lead": "售后组组长",
}
TIER_ZH = {"black": "黑卡会员", "gold": "金卡会员", "silver": "银卡会员", "regular": "普通会员"}
PLAYBOOK_ZH = {b.code: b.title for b in PLAYBOOKS.values()} | {
    DEFAULT_PLAYBOOK.code: DEFAULT_PLAYBOOK.title
}


def local_time(value: datetime | None) -> str:
    """A stored time (UTC; SQLite gives it back without offset) as the chain's wall clock."""
    if value is None:
        return "—"
    aware = value if value.tzinfo else value.replace(tzinfo=UTC)
    return aware.astimezone(CHAIN_TZ).strftime("%m-%d %H:%M")


LABELS: dict[str, Any] = {
    "when": local_time,
    "tier": TIER_ZH,
    "playbook": PLAYBOOK_ZH,
    "state": STATE_ZH,
    "status": STATUS_ZH,
    "channel": CHANNEL_ZH,
    "priority": PRIORITY_ZH,
    "scope": SCOPE_ZH,
    "topic": ASPECT_LABELS,
    "direction": DIRECTION_ZH,
    "reason": REASON_ZH,
    "team": TEAM_ZH,
}


def _service_context(
    user: Any, db: DbSession, filters: report.TicketFilter | None = None
) -> dict[str, Any]:
    now = utcnow()
    f = filters or report.TicketFilter()
    scope = store_scope(_viewer(user, db))
    rows = [
        r
        for r in service.queue(db, now=now)
        if (r.ticket.store_code is None or scope.allows(r.ticket.store_code))
        and f.keeps(
            {
                "status": r.ticket.status,
                "priority": r.ticket.priority,
                "team": r.ticket.team,
                "owner": r.ticket.owner,
                "store_code": r.ticket.store_code,
            }
        )
    ]
    ticket_rows = report.ticket_rows(db, now=now)
    return {
        "f": f,
        "teams": TEAMS,
        "priorities": PRIORITY_ZH,
        "queue_export": urlencode({**f.query(), "status": "active"}),
        "all_export": urlencode({k: v for k, v in f.query().items() if k != "status"}),
        "queue": rows,
        "states": service.conversation_counts(db),
        "crises": alerts_service.open_tickets(db, limit=50, scope=scope),
        "store_names": store_service.store_names(db),
        "by_team": report.sla_summary(ticket_rows, by="team"),
        "breached": sum(r.remaining_bh < 0 for r in rows),
        "show_text": principal_from_user(user).sees_personal_data,
        "labels": LABELS,
        "asked": None,
    }


def _blank(value: str | None) -> str | None:
    return value.strip() or None if value is not None else None


def _filters(
    status: str | None, priority: str | None, team: str | None, owner: str | None, store: str | None
) -> report.TicketFilter:
    return report.TicketFilter(
        status=_blank(status),
        priority=_blank(priority),
        team=_blank(team),
        owner=_blank(owner),
        store_code=_blank(store),
    )


Text = Annotated[str | None, Query(max_length=64)]


@router.get("/service", response_class=HTMLResponse)
def service_page(
    request: Request,
    user: ConsoleUser,
    db: DbSession,
    priority: Text = None,
    team: Text = None,
    owner: Text = None,
    store_code: Text = None,
) -> Response:
    """The queue (open and pending tickets), narrowed by the filters; the CSV links carry them."""
    try:
        filters = _filters(None, priority, team, owner, store_code)
    except DomainError as exc:
        context = _service_context(user, db) | {"filter_error": error_text(request, exc)}
        return render(request, "care/service.html", context)
    return render(request, "care/service.html", _service_context(user, db, filters))


@router.get("/service/tickets.csv")
def tickets_csv(
    request: Request,
    user: ConsoleUser,
    db: DbSession,
    status: Text = None,
    priority: Text = None,
    team: Text = None,
    owner: Text = None,
    store_code: Text = None,
) -> Response:
    """One row per ticket with the desk list's filters, in the reader's language; a store user
    gets their stores' tickets only, the subject blank without personal-data access."""
    filters = _filters(status, priority, team, owner, store_code)
    viewer = _viewer(user, db)
    rows = report.filtered_rows(
        db, now=utcnow(), filters=filters, store_codes=store_scope(viewer).codes()
    )
    data, labels = report.csv_export(
        rows, locale=request_locale(request), show_text=viewer.sees_personal_data
    )
    return export.csv_response(  # type: ignore[no-any-return]
        data, columns=report.COLUMNS, labels=labels, filename="tickets.csv"
    )


def _viewer(user: Any, db: DbSession) -> Any:
    return principal_from_user(user, db)


def _visible_ticket(db: DbSession, viewer: Any, ticket_id: int) -> Any:
    ticket = service.get_ticket(db, ticket_id=ticket_id)
    scope = store_scope(viewer)
    if ticket.store_code and not scope.allows(ticket.store_code):
        raise TicketNotFound(f"工单 {ticket_id} 不存在", field="ticket_id")
    return ticket


@router.get("/service/tickets/{ticket_id}", response_class=HTMLResponse)
def ticket_page(
    request: Request, ticket_id: int, user: ConsoleUser, db: DbSession, error: str | None = None
) -> Response:
    viewer = _viewer(user, db)
    _visible_ticket(db, viewer, ticket_id)
    ws = workspace.load(db, ticket_id=ticket_id, viewer=viewer)
    now = utcnow()
    row = next(
        (r for r in service.queue(db, now=now, limit=1000) if r.ticket.id == ticket_id), None
    )
    return render(
        request,
        "care/ticket.html",
        {
            "ws": ws,
            "clock": row,
            "labels": LABELS,
            "teams": TEAMS,
            "error": error,
            "wecom_state": service.WECOM_STATE,
            "can_write": viewer.can("write"),
            "me": user.username,
        },
    )


def _act(request: Request, ticket_id: int, user: Any, db: DbSession, work: Any) -> Response:
    viewer = _viewer(user, db)
    if not viewer.can("write"):
        raise PermissionDenied("this action needs the 'write' permission")
    _visible_ticket(db, viewer, ticket_id)
    try:
        work()
    except DomainError as e:
        db.rollback()
        return ticket_page(request, ticket_id, user, db, error=str(e))
    return RedirectResponse(f"/service/tickets/{ticket_id}", status_code=303)


@router.post("/service/tickets/{ticket_id}/take", dependencies=[CsrfProtected])
def take(request: Request, ticket_id: int, user: ConsoleUser, db: DbSession) -> Response:
    return _act(
        request,
        ticket_id,
        user,
        db,
        lambda: service.take(db, ticket_id=ticket_id, agent=user.username),
    )


@router.post("/service/tickets/{ticket_id}/reply", dependencies=[CsrfProtected])
def reply(
    request: Request,
    ticket_id: int,
    user: ConsoleUser,
    db: DbSession,
    body: Annotated[str, Form()] = "",
) -> Response:
    return _act(
        request,
        ticket_id,
        user,
        db,
        lambda: service.reply(
            db, ticket_id=ticket_id, agent=user.username, body=body, now=utcnow()
        ),
    )


@router.post("/service/tickets/{ticket_id}/handover", dependencies=[CsrfProtected])
def hand_over(
    request: Request,
    ticket_id: int,
    user: ConsoleUser,
    db: DbSession,
    team: Annotated[str, Form()] = "",
    agent: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
) -> Response:
    return _act(
        request,
        ticket_id,
        user,
        db,
        lambda: service.hand_over(
            db,
            ticket_id=ticket_id,
            to_team=team.strip() or None,
            to_agent=agent.strip() or None,
            note=note,
            actor=user.username,
            now=utcnow(),
        ),
    )


@router.post("/service/tickets/{ticket_id}/close", dependencies=[CsrfProtected])
def close(request: Request, ticket_id: int, user: ConsoleUser, db: DbSession) -> Response:
    return _act(
        request, ticket_id, user, db, lambda: service.resolve(db, ticket_id=ticket_id, now=utcnow())
    )


@router.post("/service/ask", response_class=HTMLResponse, dependencies=[CsrfProtected])
def ask(
    request: Request,
    user: ConsoleUser,
    db: DbSession,
    question: Annotated[str, Form()] = "",
    customer_id: Annotated[str, Form()] = "",
) -> Response:
    """Try the bot as a customer would: the answer, the intent and whether it hands over. A
    customer id answers transactional questions from that customer's data (only a customer the
    user may see)."""
    viewer = _viewer(user, db)
    cid = customer_id.strip() or None
    error = None
    if cid is not None:
        from omniretail.cdp.profile import service as profile_service

        try:
            profile_service.require_visible_customer(db, viewer, cid)
        except DomainError:
            error, cid = f"找不到客户 {cid}", None
    reply_ = assistant.ask(db, question=question, customer_id=cid) if error is None else None
    ctx = _service_context(user, db)
    ctx["asked"] = {
        "question": question,
        "customer_id": customer_id,
        "reply": reply_,
        "error": error,
    }
    return render(request, "care/service.html", ctx)


DRILL_ZH = {"sku": "商品", "store_code": "门店", "channel": "渠道", "region": "区域"}
CHANNEL_SOURCE_ZH = {
    "tmall": "天猫",
    "jd": "京东",
    "douyin": "抖音",
    "meituan": "美团",
    "eleme": "饿了么",
    "dianping": "大众点评",
    "miniprogram": "小程序",
    "app": "App",
    "pos": "门店",
    "reviews": "评价",
}


def _voice(
    month: str | None, dim: str | None, key: str | None
) -> tuple[list[str], Any, str | None]:
    from omniretail.insight.voice import monthly
    from omniretail.platform.engine.snapshot import NoPublishedSnapshot, run_on_published

    def work(engine: Any) -> tuple[list[str], Any, str | None]:
        known = monthly.months(engine)
        chosen = month or (known[0] if known else None)
        if chosen is None:
            return known, None, None
        return known, monthly.monthly_report(engine, month=chosen, dim=dim, key=key), chosen

    try:
        return run_on_published(work)
    except NoPublishedSnapshot:  # nothing published or reviews not analysed yet
        return [], None, None


@router.get("/service/voice", response_class=HTMLResponse)
def voice_page(
    request: Request,
    user: ConsoleUser,
    db: DbSession,
    month: str | None = None,
    dim: str | None = None,
    key: str | None = None,
) -> Response:
    """The monthly customer-experience report: volume, negative share, the top negative aspects
    with examples, movers against last month with their significance, drill-down per SKU,
    store, channel and region."""
    viewer = _viewer(user, db)
    known, rep, chosen = _voice(month, dim if key else None, key)
    return render(
        request,
        "care/voice.html",
        {
            "months": known,
            "month": chosen,
            "r": rep,
            "dim": dim if key else None,
            "key": key,
            "drill_zh": DRILL_ZH,
            "source_zh": CHANNEL_SOURCE_ZH,
            "show_text": viewer.sees_personal_data,
        },
    )


@router.get("/service/voice/report.html")
def voice_download(
    user: ConsoleUser,
    db: DbSession,
    month: str | None = None,
    dim: str | None = None,
    key: str | None = None,
) -> Response:
    """The same report as one self-contained HTML file to forward (prints to PDF from any
    browser); example sentences only for roles that see personal data."""
    from omniretail.insight.voice.report import render_html

    viewer = _viewer(user, db)
    _, rep, chosen = _voice(month, dim if key else None, key)
    if rep is None:
        return Response("还没有分析过的评价", status_code=404, media_type="text/plain")
    if not viewer.sees_personal_data:
        for a in rep.aspects:
            a["examples"] = []
    name = f"experience-report-{chosen}" + (f"-{dim}-{key}" if dim and key else "") + ".html"
    return Response(
        render_html(rep),
        media_type="text/html; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


SLA_BY_ZH = {"team": "团队", "owner": "客服", "store_code": "门店"}


@router.get("/service/sla", response_class=HTMLResponse)
def sla_page(
    request: Request,
    user: ConsoleUser,
    db: DbSession,
    by: str = "team",
    key: str | None = None,
) -> Response:
    """% SLA met per team, agent or store, with the tickets behind each figure."""
    if by not in SLA_BY_ZH:
        by = "team"
    rows = report.ticket_rows(db, now=utcnow())
    scope = store_scope(_viewer(user, db))
    rows = [r for r in rows if r["store_code"] is None or scope.allows(r["store_code"])]
    groups = report.sla_summary(rows, by=by)
    chosen = next((g for g in groups if str(g[by]) == key), None) if key else None
    tickets = [r for r in rows if r["ticket_id"] in set(chosen["ticket_ids"])] if chosen else []
    return render(
        request,
        "care/sla.html",
        {
            "by": by,
            "key": key,
            "by_zh": SLA_BY_ZH,
            "groups": groups,
            "tickets": tickets,
            "labels": LABELS,
            "show_text": principal_from_user(user).sees_personal_data,
        },
    )
