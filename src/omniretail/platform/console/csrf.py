"""CSRF protection for console forms: a per-session synchronizer token.

The token lives in the signed session cookie; every console form posts it back in a hidden
``csrf_token`` field (``{{ csrf_field() }}`` in templates) and htmx requests send it in the
``X-CSRF-Token`` header (set once on ``<body hx-headers=...>`` by base.html). A POST route
protects itself with ``dependencies=[CsrfProtected]``.

The JSON API (``/api/v1``) takes the same token: an unsafe request (anything but GET, HEAD,
OPTIONS) authenticated by the console's session cookie must send it in the ``X-CSRF-Token``
header (:data:`ApiCsrfProtected`, on the whole ``/api/v1`` router), because a browser sends the
cookie with a cross-site form post too. Requests with an API key (``Authorization: Bearer`` or
``X-API-Key``) carry no ambient credential and are not affected. Console scripts read the token
from ``<meta name="csrf-token">`` (base.html); a client that logged in through
``POST /api/v1/auth/login`` gets it in the answer's ``csrf_token``.
"""

from __future__ import annotations

import hmac

from fastapi import Depends, Request

from omniretail.platform.auth.csrf import HEADER, SESSION_KEY, csrf_token, has_api_credential
from omniretail.platform.errors import DomainError
from omniretail.platform.i18n import N_

__all__ = [
    "HEADER",
    "SESSION_KEY",
    "ApiCsrfProtected",
    "CsrfFailed",
    "CsrfProtected",
    "csrf_token",
    "has_api_credential",
    "rotate_csrf_token",
]

FORM_FIELD = "csrf_token"


class CsrfFailed(DomainError):
    status = 403
    title = N_("Form expired")


def rotate_csrf_token(request: Request) -> str:
    """A fresh token (after login, so a token seen before login is worthless)."""
    request.session.pop(SESSION_KEY, None)
    return csrf_token(request)


async def verify_csrf(request: Request) -> None:
    """Reject a state-changing request whose token is missing or does not match the session's."""
    submitted: object = request.headers.get(HEADER)
    if not submitted:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            form = await request.form()
            submitted = form.get(FORM_FIELD)
    expected = request.session.get(SESSION_KEY)
    if (
        not isinstance(expected, str)
        or not isinstance(submitted, str)
        or not hmac.compare_digest(expected.encode(), submitted.encode())
    ):
        raise CsrfFailed(
            "the form's security token is missing or out of date; reload the page and try again",
            field=FORM_FIELD,
        )


CsrfProtected = Depends(verify_csrf)

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# not authenticated by the session cookie: logging in starts the session
_API_EXEMPT = frozenset({"/api/v1/auth/login"})


async def verify_api_csrf(request: Request) -> None:
    """Reject an unsafe API request authenticated by the session cookie without the session's
    token in the ``X-CSRF-Token`` header (403 problem naming the header)."""
    if request.method in SAFE_METHODS or request.url.path in _API_EXEMPT:
        return
    if has_api_credential(request):
        return
    if "session" not in request.scope or request.session.get("user_id") is None:
        return  # not signed in: the route answers 401
    submitted = request.headers.get(HEADER)
    expected = request.session.get(SESSION_KEY)
    if (
        not isinstance(expected, str)
        or not submitted
        or not hmac.compare_digest(expected.encode(), submitted.encode())
    ):
        raise CsrfFailed(
            "a request signed in with the console's session cookie must send the session's "
            "CSRF token in the X-CSRF-Token header (or use an API key)",
            field="X-CSRF-Token",
            message=N_(
                "The page's security token is missing or out of date; reload the page and try "
                "again."
            ),
        )


ApiCsrfProtected = Depends(verify_api_csrf)
