"""系统设置 Settings: console users and API keys (administrators manage; others see their
own account)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup
from sqlalchemy.orm import Session

from omniretail.platform.auth import service as auth_service
from omniretail.platform.auth.deps import DbSession
from omniretail.platform.auth.models import ROLES, User
from omniretail.platform.auth.service import API_KEY_SCOPES
from omniretail.platform.console.csrf import CsrfProtected
from omniretail.platform.console.render import render
from omniretail.platform.console.session import ConsoleUser
from omniretail.platform.errors import DomainError
from omniretail.platform.i18n import N_
from omniretail.web import accounts

router = APIRouter()


class AdminOnly(DomainError):
    status = 403
    title = N_("Administrators only")


# What each API key scope lets a machine do, as the console names it (message ids).
SCOPE_LABELS: dict[str, str] = {
    "read": N_("Read data"),
    "write": N_("Change data"),
    "events": N_("Send events"),
    "admin": N_("Administer"),
}


def _created_name(username: str | None) -> Markup | None:
    """The user just created, as the notice names them: the username as typed (what the new
    user logs in with), marked as no text to translate."""
    return Markup('<span translate="no">{}</span>').format(username) if username else None


def _page(
    request: Request, db: Session, user: User, *, status_code: int = 200, **extra: Any
) -> HTMLResponse:
    context: dict[str, Any] = {
        "is_admin": user.role == "admin",
        "roles": ROLES,
        "scopes": API_KEY_SCOPES,
        "scope_labels": SCOPE_LABELS,
        "my_stores": accounts.store_names(db, user.store_ids),
        "created": request.query_params.get("created"),
    }
    if user.role == "admin":
        context["users"] = accounts.list_users(db)
        context["created_name"] = _created_name(context["created"])
        context["api_keys"] = accounts.list_api_keys(db)
        context["stores"] = accounts.store_choices(db)
    context.update(extra)
    return render(request, "settings.html", context, status_code=status_code)


@router.get("/settings", response_class=HTMLResponse)
def settings_page(request: Request, user: ConsoleUser, db: DbSession) -> Response:
    return _page(request, db, user)


@router.post("/settings/users", response_class=HTMLResponse, dependencies=[CsrfProtected])
def create_user(
    request: Request,
    user: ConsoleUser,
    db: DbSession,
    username: Annotated[str, Form()] = "",
    display_name: Annotated[str, Form()] = "",
    role: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    store_ids: Annotated[list[int] | None, Form()] = None,
) -> Response:
    if user.role != "admin":
        raise AdminOnly("only administrators can create users")
    form = {"username": username, "display_name": display_name, "role": role}
    if not username.strip():
        return _page(
            request, db, user, status_code=422, user_error="username: required", user_form=form
        )
    try:
        with db.begin_nested():
            created = auth_service.create_user(
                db,
                username=username.strip(),
                password=password,
                role=role,
                display_name=display_name.strip() or None,
                store_ids=store_ids or None,
            )
    except DomainError as exc:
        message = f"{exc.field}: {exc.detail}" if exc.field else exc.detail
        return _page(request, db, user, status_code=422, user_error=message, user_form=form)
    return RedirectResponse(f"/settings?created={created.username}", status_code=303)


@router.post("/settings/api-keys", response_class=HTMLResponse, dependencies=[CsrfProtected])
def create_api_key(
    request: Request,
    user: ConsoleUser,
    db: DbSession,
    name: Annotated[str, Form()] = "",
    scopes: Annotated[list[str] | None, Form()] = None,
    store_ids: Annotated[list[int] | None, Form()] = None,
) -> Response:
    if user.role != "admin":
        raise AdminOnly("only administrators can create API keys")
    if not name.strip():
        return _page(request, db, user, status_code=422, key_error="name: required")
    try:
        with db.begin_nested():
            _key, plain = auth_service.create_api_key(
                db,
                name=name.strip(),
                scopes=scopes or ["read"],
                created_by_id=user.id,
                store_ids=store_ids or None,  # none chosen: every store
            )
    except DomainError as exc:
        message = f"{exc.field}: {exc.detail}" if exc.field else exc.detail
        return _page(request, db, user, status_code=422, key_error=message, key_name=name)
    # Shown once, in this response only (never stored, never in a URL or the session).
    return _page(request, db, user, status_code=201, new_key=plain, new_key_name=name.strip())
