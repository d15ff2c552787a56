"""CSRF protection for console forms: a per-session synchronizer token.

The token lives in the signed session cookie; every console form posts it back in a hidden
``csrf_token`` field (``{{ csrf_field() }}`` in templates) and htmx requests send it in the
``X-CSRF-Token`` header (set once on ``<body hx-headers=...>`` by base.html). A POST route
protects itself with ``dependencies=[CsrfProtected]``.
"""

from __future__ import annotations

import hmac
import secrets

from fastapi import Depends, Request

from omniretail.platform.errors import DomainError
from omniretail.platform.i18n import N_

SESSION_KEY = "csrf_token"
FORM_FIELD = "csrf_token"
HEADER = "x-csrf-token"


class CsrfFailed(DomainError):
    status = 403
    title = N_("Form expired")


def csrf_token(request: Request) -> str:
    """The session's token, created on first use."""
    token = request.session.get(SESSION_KEY)
    if not isinstance(token, str) or not token:
        token = secrets.token_urlsafe(32)
        request.session[SESSION_KEY] = token
    return token


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
