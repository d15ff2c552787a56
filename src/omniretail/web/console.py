"""Console sessions: who is logged in, where to send those who are not, which language.

- ``ConsoleUser`` (a dependency) returns the logged-in user of a console page; an anonymous
  visitor is redirected to ``/login?next=<the page>`` instead of getting a JSON 401.
- :func:`request_locale` picks the language: the ``omniretail_lang`` cookie, else the user's
  saved preference, else the configured default (zh-CN).
- :func:`install` adds the exception handlers the console needs (called by the app factory).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import quote, urlsplit

from fastapi import Depends, FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from omniretail.platform import i18n
from omniretail.platform.auth.deps import DbSession, get_current_user
from omniretail.platform.auth.errors import AuthError
from omniretail.platform.auth.models import User
from omniretail.platform.errors import DomainError
from omniretail.platform.i18n import N_
from omniretail.web.csrf import CsrfFailed

# Titles of the platform's errors, marked so the error page can show them translated.
ERROR_TITLES = (
    N_("Bad request"),
    N_("Not authenticated"),
    N_("Permission denied"),
    N_("Not found"),
    N_("Conflict"),
    N_("Invalid input"),
)

LANG_COOKIE = "omniretail_lang"
LANG_COOKIE_MAX_AGE = 365 * 24 * 3600


@dataclass(frozen=True)
class ConsoleIdentity:
    """What pages and templates show about the logged-in user; a plain copy, so it stays
    readable after the request's database session has ended (e.g. in an error page)."""

    id: int
    username: str
    display_name: str | None
    role: str
    store_ids: list[int] | None
    locale: str | None
    last_login_at: datetime | None

    @classmethod
    def of(cls, user: User) -> ConsoleIdentity:
        return cls(
            id=user.id,
            username=user.username,
            display_name=user.display_name,
            role=user.role,
            store_ids=list(user.store_ids) if user.store_ids is not None else None,
            locale=user.locale,
            last_login_at=user.last_login_at,
        )


class LoginRequired(Exception):
    """Raised by :func:`console_user` for an anonymous visitor of a console page."""

    def __init__(self, next_url: str) -> None:
        super().__init__(next_url)
        self.next_url = next_url


def safe_next(value: str | None, default: str = "/") -> str:
    """A local path to return to after login; anything else (other hosts, ``//x``) → default."""
    if not value:
        return default
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or not value.startswith("/") or value.startswith("//"):
        return default
    if "\\" in value or any(ord(c) < 32 for c in value):
        return default
    return value


def login_url(next_url: str | None = None) -> str:
    target = safe_next(next_url, default="")
    if not target or target == "/":
        return "/login"
    return "/login?next=" + quote(target, safe="/")


def console_user(request: Request, db: DbSession) -> User:
    """The logged-in user of a console page (a :class:`ConsoleIdentity` copy is kept on
    ``request.state.user`` for templates)."""
    try:
        user = get_current_user(request, db)
    except AuthError:
        path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise LoginRequired(path) from None
    request.state.user = ConsoleIdentity.of(user)
    return user


ConsoleUser = Annotated[User, Depends(console_user)]


def request_locale(request: Request) -> str:
    cookie = i18n.normalize_locale(request.cookies.get(LANG_COOKIE))
    if cookie:
        return cookie
    user = getattr(request.state, "user", None)
    preferred = i18n.normalize_locale(getattr(user, "locale", None))
    return preferred or i18n.default_locale()


def set_locale_cookie(response: Response, locale: str) -> None:
    response.set_cookie(
        LANG_COOKIE, locale, max_age=LANG_COOKIE_MAX_AGE, samesite="lax", httponly=False
    )


def _wants_html(request: Request) -> bool:
    return not request.url.path.startswith("/api/") and "text/html" in request.headers.get(
        "accept", ""
    )


def install(app: FastAPI) -> None:
    """Redirect anonymous console visitors to the login page; explain expired forms."""

    @app.exception_handler(LoginRequired)
    async def _login_required(request: Request, exc: LoginRequired) -> Response:
        url = login_url(exc.next_url)
        if request.headers.get("hx-request"):
            # htmx follows a redirect inside the swap; ask for a full page load instead.
            return Response(status_code=204, headers={"HX-Redirect": url})
        return RedirectResponse(url, status_code=303)

    @app.exception_handler(CsrfFailed)
    async def _csrf_failed(request: Request, exc: CsrfFailed) -> Response:
        if not _wants_html(request):
            return JSONResponse(
                exc.to_problem(instance=request.url.path),
                status_code=exc.status,
                media_type="application/problem+json",
            )
        referer = request.headers.get("referer", "")
        return _error_page(
            request,
            exc.status,
            N_("Form expired"),
            N_("The form has expired. Reload the page and try again."),
            back=safe_next(urlsplit(referer).path if referer else None),
        )

    api_domain_error = app.exception_handlers.get(DomainError)
    api_http_error = app.exception_handlers.get(StarletteHTTPException)

    @app.exception_handler(DomainError)
    async def _domain_error(request: Request, exc: DomainError) -> Response:
        """A console page shows the problem as a page; API clients get problem+json."""
        if not _wants_html(request) and api_domain_error is not None:
            return await _delegate(api_domain_error, request, exc)
        if not _wants_html(request):
            return JSONResponse(
                exc.to_problem(instance=request.url.path),
                status_code=exc.status,
                media_type="application/problem+json",
            )
        return _error_page(request, exc.status, exc.title, exc.detail)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        """A browser asking for a missing page gets a page; everything else as before."""
        if _wants_html(request) and exc.status_code in (404, 405):
            title = N_("Not found") if exc.status_code == 404 else N_("Bad request")
            return _error_page(
                request, exc.status_code, title, N_("There is no such page in the console.")
            )
        if api_http_error is not None:
            return await _delegate(api_http_error, request, exc)
        return JSONResponse({"detail": exc.detail}, status_code=exc.status_code)


async def _delegate(handler: Callable[..., Any], request: Request, exc: Exception) -> Response:
    """Call the handler that was installed before ours (sync or async)."""
    result = handler(request, exc)
    if inspect.isawaitable(result):
        result = await result
    assert isinstance(result, Response)
    return result


def _identify(request: Request) -> None:
    """Put the session's user on ``request.state`` for a page rendered outside a route."""
    if getattr(request.state, "user", None) is not None or "session" not in request.scope:
        return
    user_id = request.session.get("user_id")
    if user_id is None:
        return
    from omniretail.platform.db import session_factory

    with session_factory()() as db:
        user = db.get(User, user_id)
        if user is not None and user.is_active:
            request.state.user = ConsoleIdentity.of(user)


def _error_page(
    request: Request, status: int, title: str, detail: str, back: str = "/"
) -> HTMLResponse:
    from omniretail.web.render import render

    _identify(request)
    return render(
        request,
        "error.html",
        {"title_msg": title, "detail_msg": detail, "back": back},
        status_code=status,
    )
