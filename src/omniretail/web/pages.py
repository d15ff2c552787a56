"""Console routes of the shell: login, logout, language switch, the overview dashboard and the
"coming soon" landing page of every area that no domain serves yet, and the 模型 area's hub (the
model pages live in their insight packages; the hub links them and says whether each is fitted)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from omniretail.platform import i18n
from omniretail.platform.auth import sessions
from omniretail.platform.auth.deps import DbSession, forget_session, principal_from_user
from omniretail.platform.auth.errors import AuthError
from omniretail.platform.auth.login import sign_in
from omniretail.platform.auth.models import User
from omniretail.platform.auth.scope import store_scope
from omniretail.platform.auth.throttle import TooManyAttempts
from omniretail.platform.console import nav
from omniretail.platform.console.csrf import CsrfProtected, rotate_csrf_token
from omniretail.platform.console.locale import request_locale, set_locale_cookie
from omniretail.platform.console.render import render
from omniretail.platform.console.session import ConsoleUser, safe_next
from omniretail.platform.i18n import N_
from omniretail.web import models_hub, overview, settings

router = APIRouter(tags=["console"])

WRONG_LOGIN = N_("Wrong username or password.")
MISSING_LOGIN = N_("Enter your username and password.")
TOO_MANY = N_("Too many failed logins. Try again in a few minutes.")


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, db: DbSession, next: str | None = None) -> Response:
    user_id = sessions.current_user_id(request, db)
    if user_id is not None and (user := db.get(User, user_id)) is not None and user.is_active:
        return RedirectResponse(safe_next(next), status_code=303)
    return render(request, "login.html", {"next": safe_next(next, default="")})


@router.post("/login", response_class=HTMLResponse, dependencies=[CsrfProtected])
def login_submit(
    request: Request,
    db: DbSession,
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "",
) -> Response:
    username = username.strip()
    if not username or not password:
        return render(
            request,
            "login.html",
            {"error": MISSING_LOGIN, "username": username, "next": safe_next(next, default="")},
            status_code=400,
        )
    try:
        user = sign_in(db, request, username=username, password=password)
    except TooManyAttempts as exc:
        return render(
            request,
            "login.html",
            {"error": TOO_MANY, "username": username, "next": safe_next(next, default="")},
            status_code=429,
            headers={"Retry-After": str(exc.retry_after)},
        )
    except AuthError:
        return render(
            request,
            "login.html",
            {"error": WRONG_LOGIN, "username": username, "next": safe_next(next, default="")},
            status_code=400,
        )
    locale_cookie = request.cookies.get("omniretail_lang")
    rotate_csrf_token(request)  # sign_in started a new session (no fixation)
    response = RedirectResponse(safe_next(next), status_code=303)
    preferred = i18n.normalize_locale(user.locale)
    if preferred and not locale_cookie:
        set_locale_cookie(response, preferred)
    return response


@router.post("/logout", dependencies=[CsrfProtected])
def logout(request: Request, db: DbSession) -> Response:
    key = sessions.session_key(request)
    sessions.end(request, db)
    if key:
        forget_session(key)
    return RedirectResponse("/login", status_code=303)


@router.post("/lang", dependencies=[CsrfProtected])
def switch_language(
    request: Request,
    db: DbSession,
    locale: Annotated[str, Form()],
    next: Annotated[str, Form()] = "/",
) -> Response:
    chosen = i18n.normalize_locale(locale) or request_locale(request)
    user_id = sessions.current_user_id(request, db)
    if user_id is not None and (user := db.get(User, user_id)) is not None:
        user.locale = chosen  # remembered for the next login on another browser
    response = RedirectResponse(safe_next(next), status_code=303)
    set_locale_cookie(response, chosen)
    return response


@router.get("/", response_class=HTMLResponse)
def overview_page(request: Request, user: ConsoleUser, db: DbSession, days: int = 90) -> Response:
    days = overview.clamp_days(days)
    store_codes = store_scope(principal_from_user(user)).codes()
    summary = overview.load_summary(days=days, store_codes=store_codes)
    return render(
        request,
        "overview.html",
        {
            "summary": summary,
            "days": days,
            "day_options": overview.DAY_OPTIONS,
            "incomplete_from": (
                summary.period_end + timedelta(days=1)
                if summary.data_end and summary.period_end and summary.data_end > summary.period_end
                else None
            ),
        },
    )


router.include_router(settings.router)


@router.get("/models", response_class=HTMLResponse)
def models_page(request: Request, user: ConsoleUser) -> Response:
    return render(request, "models.html", {"models": models_hub.model_cards()})


def _coming_soon(item: nav.NavItem) -> Callable[..., Response]:
    def page(request: Request, user: ConsoleUser) -> Response:
        return render(request, "coming_soon.html", {"area": item})

    page.__name__ = f"coming_soon_{item.key}"
    return page


# Mounted after every domain's pages router: a domain serving its area's landing page wins.
for _item in nav.items():
    if _item.href != "/":
        router.add_api_route(
            _item.href, _coming_soon(_item), methods=["GET"], response_class=HTMLResponse
        )
