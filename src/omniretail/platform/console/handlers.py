"""The exception handlers the console needs (installed by the app factory): anonymous visitors
of a console page go to the login page, an expired form and a domain error are explained on a
page; API clients keep problem+json."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from omniretail.platform.auth import sessions
from omniretail.platform.auth.models import User
from omniretail.platform.console.csrf import CsrfFailed
from omniretail.platform.console.render import error_text, render
from omniretail.platform.console.session import (
    ConsoleIdentity,
    LoginRequired,
    RoleHome,
    login_url,
    safe_next,
)
from omniretail.platform.db import session_factory
from omniretail.platform.errors import DomainError
from omniretail.platform.i18n import N_

# Titles of the platform's errors, marked so the error page can show them translated.
ERROR_TITLES = (
    N_("Bad request"),
    N_("Not authenticated"),
    N_("Permission denied"),
    N_("Not found"),
    N_("Conflict"),
    N_("Invalid input"),
)


def _wants_html(request: Request) -> bool:
    return not request.url.path.startswith("/api/") and "text/html" in request.headers.get(
        "accept", ""
    )


def install(app: FastAPI) -> None:
    """Redirect anonymous console visitors to the login page; explain expired forms."""

    @app.exception_handler(RoleHome)
    async def _role_home(request: Request, exc: RoleHome) -> Response:
        if request.headers.get("hx-request"):
            return Response(status_code=204, headers={"HX-Redirect": exc.url})
        return RedirectResponse(exc.url, status_code=303)

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
            body = exc.to_problem(instance=request.url.path)
            if exc.message is not None:  # in the caller's language, for the console's scripts
                body["message"] = error_text(request, exc)
            return JSONResponse(body, status_code=exc.status, media_type="application/problem+json")
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
        return _error_page(request, exc.status, exc.title, error_text(request, exc))

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
    if request.session.get("user_id") is None:
        return
    with session_factory()() as db:
        user_id = sessions.current_user_id(request, db)
        user = db.get(User, user_id) if user_id is not None else None
        if user is not None and user.is_active:
            request.state.user = ConsoleIdentity.of(user)


def _error_page(
    request: Request, status: int, title: str, detail: str, back: str = "/"
) -> HTMLResponse:
    _identify(request)
    return render(
        request,
        "error.html",
        {"title_msg": title, "detail_msg": detail, "back": back},
        status_code=status,
    )
