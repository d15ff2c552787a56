"""A clerk's day: today's tasks, acting on one (send through WeCom, copy, done, refused),
recording a visit. Messages go through the platform's outbox with origin ``clerk``; a coupon
is issued by the coupon service before the message that announces it."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from omniretail.marketing.coupon import service as coupon_service
from omniretail.operations.guide.errors import GuideRefused, TaskNotFound
from omniretail.operations.guide.models import GuideTask, GuideVisit
from omniretail.operations.guide.schemas import TaskRead, VisitIn, VisitRead
from omniretail.operations.guide.service import current_binding, guide_staff, resolve_customer
from omniretail.platform.db import utcnow
from omniretail.platform.messaging import service as messaging
from omniretail.platform.messaging.schemas import MessageRequest, Origin


def tasks_of(session: Session, *, staff_code: str, day: date) -> list[TaskRead]:
    rows = session.scalars(
        select(GuideTask)
        .where(GuideTask.staff_code == staff_code, GuideTask.day == day)
        .order_by(GuideTask.status != "open", GuideTask.priority.desc(), GuideTask.id)
    )
    return [TaskRead.model_validate(t) for t in rows]


def act(
    session: Session,
    *,
    task_id: int,
    staff_code: str | None,
    action: str,
    issue_coupon: bool = False,
    now: datetime | None = None,
) -> TaskRead:
    """Close a task: ``send`` (through WeCom, origin clerk, the suggested message; with the
    suggested coupon if asked), ``copy`` (the clerk sends it from their own WeCom), ``done`` or
    ``refused`` (the customer declined). ``staff_code`` (a clerk acting on their own list) must
    be the task's clerk."""
    now = now or utcnow()
    t = session.get(GuideTask, task_id, with_for_update=True)
    if t is None or (staff_code is not None and t.staff_code != staff_code):
        raise TaskNotFound(task_id)
    if action in ("send", "copy") and t.status != "open":
        raise GuideRefused(
            f"任务 {t.id} 已处理（{t.status}），不能再发送", f"task {t.id} is {t.status}",
            reason="task_closed", field="task_id",
        )  # fmt: skip
    if action in ("done", "refused") and t.status in ("done", "refused"):
        raise GuideRefused(
            f"任务 {t.id} 已关闭", f"task {t.id} is {t.status}",
            reason="task_closed", field="task_id",
        )  # fmt: skip
    if action == "send":
        body = t.message
        if issue_coupon and t.coupon_template:
            coupon = coupon_service.issue(
                session, template_code=t.coupon_template, customer_id=t.customer_id,
                source="push", now=now,
            )  # fmt: skip
            t.coupon_code = coupon.code
            body = f"{body}（券码 {coupon.code}）"
        msg = messaging.enqueue(
            session,
            MessageRequest(
                customer_id=t.customer_id, channel="wecom", body=body,
                origin=Origin(kind="clerk", ref=f"{t.staff_code}:task:{t.id}"),
                purpose="marketing", idempotency_key=f"guide-task:{t.id}",
                extra={"staff_code": t.staff_code, "task_kind": t.kind},
            ),
        )  # fmt: skip
        t.message_id = msg.id
        t.status, t.channel = "sent", "wecom"
    elif action == "copy":
        t.status, t.channel = "sent", "copy"
    elif action in ("done", "refused"):
        t.status = action
    else:
        raise GuideRefused(f"未知操作 {action!r}", f"unknown action {action!r}",
                           reason="bad_action", field="action")  # fmt: skip
    t.closed_at = now
    session.flush()
    return TaskRead.model_validate(t)


def record_visit(
    session: Session, *, staff_code: str, visit: VisitIn, now: datetime | None = None
) -> VisitRead:
    """A visit or conversation with one of the clerk's own customers."""
    guide_staff(session, staff_code)
    cid = resolve_customer(session, visit.customer_id)
    b = current_binding(session, cid)
    if b is None or b.staff_code != staff_code:
        raise GuideRefused(
            "此客户不是您的绑定客户", "customer is not bound to this clerk", reason="not_yours"
        )
    v = GuideVisit(staff_code=staff_code, customer_id=cid, kind=visit.kind, note=visit.note,
                   at=now or utcnow())  # fmt: skip
    session.add(v)
    session.flush()
    return VisitRead.model_validate(v)


def visits_of(session: Session, *, staff_code: str, limit: int = 20) -> list[VisitRead]:
    rows = session.scalars(
        select(GuideVisit)
        .where(GuideVisit.staff_code == staff_code)
        .order_by(GuideVisit.at.desc(), GuideVisit.id.desc())
        .limit(limit)
    )
    return [VisitRead.model_validate(v) for v in rows]
