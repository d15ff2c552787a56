"""Console: the 客服 page — the agents' queue with SLA clocks in business hours, conversation
states, crisis tickets from the alerts, and SLA met per team."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from omniretail.care.alerts import service as alerts_service
from omniretail.care.desk import report, service
from omniretail.care.desk.sla import PRIORITY_ZH
from omniretail.insight.voice.aspects import ASPECT_LABELS
from omniretail.platform.auth.deps import DbSession, principal_from_user
from omniretail.platform.console.render import render
from omniretail.platform.console.session import ConsoleUser
from omniretail.platform.db import utcnow

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


@router.get("/service", response_class=HTMLResponse)
def service_page(request: Request, user: ConsoleUser, db: DbSession) -> Response:
    now = utcnow()
    rows = service.queue(db, now=now)
    ticket_rows = report.ticket_rows(db, now=now)
    return render(
        request,
        "care/service.html",
        {
            "queue": rows,
            "states": service.conversation_counts(db),
            "crises": alerts_service.open_tickets(db, limit=50),
            "by_team": report.sla_summary(ticket_rows, by="team"),
            "breached": sum(r.remaining_bh < 0 for r in rows),
            "show_text": principal_from_user(user).sees_personal_data,
            "labels": {
                "state": STATE_ZH,
                "status": STATUS_ZH,
                "channel": CHANNEL_ZH,
                "priority": PRIORITY_ZH,
                "scope": SCOPE_ZH,
                "topic": ASPECT_LABELS,
            },
        },
    )
