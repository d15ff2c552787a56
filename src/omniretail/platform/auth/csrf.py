"""The session's CSRF token and how a request names an API key — the pieces of the CSRF rule
the auth API needs (the checks themselves are in ``platform.console.csrf``)."""

from __future__ import annotations

import secrets

from fastapi import Request

SESSION_KEY = "csrf_token"
HEADER = "x-csrf-token"


def csrf_token(request: Request) -> str:
    """The session's token, created on first use."""
    token = request.session.get(SESSION_KEY)
    if not isinstance(token, str) or not token:
        token = secrets.token_urlsafe(32)
        request.session[SESSION_KEY] = token
    return token


def has_api_credential(request: Request) -> bool:
    """The request names an API key (the API prefers it to the session cookie)."""
    header = request.headers.get("authorization", "")
    return bool(request.headers.get("x-api-key")) or (
        header.lower().startswith("bearer ") and bool(header[7:].strip())
    )
