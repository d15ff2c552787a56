"""Server-side console sessions. The signed cookie holds the user id and a random session id;
the store keeps the session id's SHA-256 with its expiry, and logging out revokes it, so a
copied cookie stops working at logout (not 12 hours later)."""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

from fastapi import Request
from sqlalchemy import update
from sqlalchemy.orm import Session

from omniretail.platform.auth.models import AuthSession, User
from omniretail.platform.config import get_settings
from omniretail.platform.db import utcnow


def _digest(sid: str) -> str:
    return hashlib.sha256(sid.encode()).hexdigest()


def _aware(dt: datetime) -> datetime:
    return dt if dt.tzinfo is not None else dt.replace(tzinfo=UTC)


def client_address(request: Request) -> str | None:
    return request.client.host if request.client else None


def start(db: Session, request: Request, user: User) -> None:
    """A fresh session for ``user`` (the old cookie content is dropped: no fixation)."""
    sid = secrets.token_urlsafe(32)
    now = utcnow()
    db.add(
        AuthSession(
            id_hash=_digest(sid),
            user_id=user.id,
            created_at=now,
            expires_at=now + timedelta(seconds=get_settings().session_max_age),
            address=(client_address(request) or "")[:64] or None,
        )
    )
    db.flush()
    request.session.clear()
    request.session["user_id"] = user.id
    request.session["sid"] = sid


def session_key(request: Request) -> str | None:
    """The digest of the request's session id (a cache key that is not the secret itself)."""
    if "session" not in request.scope:
        return None
    sid = request.session.get("sid")
    return _digest(sid) if isinstance(sid, str) else None


def current_user_id(request: Request, db: Session) -> int | None:
    """The logged-in user's id, if the cookie names a live (not revoked, not expired) session
    of that user; a dead session's cookie is cleared."""
    if "session" not in request.scope:
        return None
    user_id = request.session.get("user_id")
    key = session_key(request)
    if user_id is None:
        return None
    row = db.get(AuthSession, key) if key else None
    if (
        row is None
        or row.user_id != user_id
        or row.revoked_at is not None
        or _aware(row.expires_at) <= utcnow()
    ):
        request.session.clear()
        return None
    return int(user_id)


def end(request: Request, db: Session) -> None:
    """Log out: revoke the session on the server and clear the cookie."""
    key = session_key(request)
    if key:
        db.execute(
            update(AuthSession)
            .where(AuthSession.id_hash == key, AuthSession.revoked_at.is_(None))
            .values(revoked_at=utcnow())
        )
    request.session.clear()


def end_all(db: Session, user_id: int) -> int:
    """Revoke every session of a user (deactivation, password change); returns how many."""
    result = db.execute(
        update(AuthSession)
        .where(AuthSession.user_id == user_id, AuthSession.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
