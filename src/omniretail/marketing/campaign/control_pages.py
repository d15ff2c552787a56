"""Console page 全局对照组 (global control group): set its share and read its lift.

Chain-wide users only (the group and its lift span every store); changing it needs the write
permission and is audited by the service."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from omniretail.marketing.campaign import global_control
from omniretail.platform.auth.deps import DbSession, principal_from_user
from omniretail.platform.auth.errors import PermissionDenied
from omniretail.platform.auth.scope import store_scope
from omniretail.platform.console.csrf import CsrfProtected
from omniretail.platform.console.render import error_text, render
from omniretail.platform.console.session import ConsoleUser
from omniretail.platform.engine.snapshot import NoPublishedSnapshot, run_on_published
from omniretail.platform.errors import DomainError
from omniretail.platform.i18n import N_

router = APIRouter(tags=["console"])

CHAIN_ONLY = N_("Only a chain-wide user may see or change the global control group")


def _chain_wide(user: Any) -> None:
    if not store_scope(principal_from_user(user)).all_stores:
        raise PermissionDenied(
            "the global control group spans every store; only a chain-wide user may use it",
            message=CHAIN_ONLY,
        )


def _page(
    request: Request,
    db: DbSession,
    *,
    error: str | None = None,
    form: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    row = global_control.current(db)
    try:
        lift: dict[str, Any] = run_on_published(lambda e: global_control.lift(db, e))
    except NoPublishedSnapshot:
        lift = {"status": "no_data"}
    return render(
        request,
        "campaign/global_control.html",
        {
            "row": row,
            "share_pct": form if form is not None else f"{(row.share if row else 0) * 100:g}",
            "max_pct": int(global_control.MAX_SHARE * 100),
            "lift": lift,
            "error": error,
            "saved": request.query_params.get("saved") == "1",
        },
        status_code=status_code,
    )


@router.get("/global-control", response_class=HTMLResponse)
def control_page(request: Request, user: ConsoleUser, db: DbSession) -> HTMLResponse:
    _chain_wide(user)
    return _page(request, db)


@router.post("/global-control", dependencies=[CsrfProtected], response_model=None)
def set_control(
    request: Request,
    user: ConsoleUser,
    db: DbSession,
    share_pct: Annotated[str, Form()] = "",
) -> Response:
    _chain_wide(user)
    principal_from_user(user).require("write")
    raw = share_pct.strip().rstrip("%").strip()
    try:
        share: Any = float(raw) / 100 if raw else None
    except ValueError:
        share = raw
    try:
        global_control.set_share(db, share=share, actor=user.username)
    except DomainError as exc:
        db.rollback()
        return _page(request, db, error=error_text(request, exc), form=share_pct, status_code=422)
    db.commit()
    return RedirectResponse("/global-control?saved=1", status_code=303)
