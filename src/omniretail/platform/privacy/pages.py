"""个人信息请求 Privacy requests (administrators): export everything held about a customer as a
JSON file, or erase them everywhere after typing their id again; the log of requests."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Form, Request
from fastapi.responses import HTMLResponse, Response

from omniretail.platform.auth.deps import DbSession
from omniretail.platform.auth.errors import PermissionDenied
from omniretail.platform.auth.models import User
from omniretail.platform.console.csrf import CsrfProtected
from omniretail.platform.console.render import error_text, render
from omniretail.platform.console.session import ConsoleUser
from omniretail.platform.db import get_engine
from omniretail.platform.errors import DomainError
from omniretail.platform.i18n import N_
from omniretail.platform.privacy import service

router = APIRouter(tags=["console"])
CustomerField = Annotated[str, Form(min_length=1, max_length=32)]
ReasonField = Annotated[str | None, Form(max_length=200)]


def _admin(user: User) -> None:
    if user.role != "admin":
        raise PermissionDenied(
            "only administrators handle privacy requests",
            message=N_("Only administrators handle privacy requests."),
        )


def _page(request: Request, db: DbSession, status: int = 200, **extra: Any) -> Response:
    return render(
        request,
        "privacy/index.html",
        {"requests": service.requests(db, limit=20), **extra},
        status_code=status,
    )


@router.get("/privacy", response_class=HTMLResponse)
def privacy_page(request: Request, user: ConsoleUser, db: DbSession) -> Response:
    _admin(user)
    return _page(request, db)


@router.post("/privacy/export", dependencies=[CsrfProtected])
def export(
    request: Request,
    user: ConsoleUser,
    db: DbSession,
    customer_id: CustomerField,
    reason: ReasonField = None,
) -> Response:
    """The customer's data as a JSON file download."""
    _admin(user)
    customer_id = customer_id.strip()
    try:
        data = service.export(db, customer_id)
    except DomainError as exc:
        return _page(
            request, db, status=exc.status, error=error_text(request, exc), customer_id=customer_id
        )
    service.record_export(db, data["customer_id"], actor=user.username, reason=reason)
    body = json.dumps(data, ensure_ascii=False, indent=1, default=str)
    return Response(
        body,
        media_type="application/json",
        headers={
            "Content-Disposition": f'attachment; filename="privacy-{data["customer_id"]}.json"'
        },
    )


@router.post("/privacy/erase", response_class=HTMLResponse, dependencies=[CsrfProtected])
def erase(
    request: Request,
    user: ConsoleUser,
    db: DbSession,
    tasks: BackgroundTasks,
    customer_id: CustomerField,
    confirm: Annotated[str, Form(max_length=32)] = "",
    reason: ReasonField = None,
) -> Response:
    _admin(user)
    customer_id = customer_id.strip()
    if confirm.strip() != customer_id:
        return _page(request, db, status=422, customer_id=customer_id, confirm_error=True)
    try:
        report = service.erase(db, customer_id, actor=user.username, reason=reason)
    except DomainError as exc:
        return _page(
            request, db, status=exc.status, error=error_text(request, exc), customer_id=customer_id
        )
    tasks.add_task(service.compact_store, get_engine())
    db.flush()
    return _page(request, db, report=report)
