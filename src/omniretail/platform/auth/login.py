"""Signing in, one way for the console form and the JSON API: throttled per account and per
address, one password-hash verification whether the user exists or not, a fresh server-side
session on success."""

from __future__ import annotations

from fastapi import Request
from sqlalchemy.orm import Session

from omniretail.platform.auth import service, sessions, throttle
from omniretail.platform.auth.errors import AuthError
from omniretail.platform.auth.models import User


def sign_in(db: Session, request: Request, *, username: str, password: str) -> User:
    """Raises ``TooManyAttempts`` (429) while locked, ``AuthError`` (401) on a wrong login."""
    address = sessions.client_address(request)
    throttle.check(username, address)
    try:
        user = service.authenticate(db, username=username, password=password)
    except AuthError:
        throttle.failed(username, address)
        raise
    throttle.succeeded(db, username)
    sessions.start(db, request, user)
    return user
