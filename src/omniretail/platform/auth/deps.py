"""FastAPI dependencies: ``DbSession`` (the request owns the transaction), ``CurrentUser``,
``ApiPrincipal`` (a console session or an API key)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from omniretail.platform.auth import service
from omniretail.platform.auth.errors import AuthError, PermissionDenied
from omniretail.platform.auth.models import User
from omniretail.platform.db import session_factory


def get_db() -> Iterator[Session]:
    session = session_factory()()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


# scope="function": the commit (or rollback) runs when the path operation returns, before the
# response is sent. A failed commit is then the request's error, not a 200 already on the wire,
# and the transaction's locks are released before the client can send its next request.
DbSession = Annotated[Session, Depends(get_db, scope="function")]


@dataclass
class Principal:
    """Who is calling: a console user or an API key."""

    name: str
    role: str
    scopes: list[str] = field(default_factory=list)
    store_ids: list[int] | None = None
    user_id: int | None = None

    def can(self, scope: str) -> bool:
        return self.role == "admin" or scope in self.scopes or "admin" in self.scopes

    def require(self, scope: str) -> None:
        if not self.can(scope):
            raise PermissionDenied(f"this action needs the {scope!r} permission")

    @property
    def sees_personal_data(self) -> bool:
        return self.role in ("admin", "store_manager", "clerk")


ROLE_SCOPES: dict[str, list[str]] = {
    "admin": ["read", "write", "events", "admin", "pii"],
    "marketer": ["read", "write"],
    "store_manager": ["read", "write", "pii"],
    "clerk": ["read", "pii"],
    "analyst": ["read"],
}


def principal_from_user(user: User) -> Principal:
    return Principal(
        name=user.username,
        role=user.role,
        scopes=ROLE_SCOPES.get(user.role, ["read"]),
        store_ids=user.store_ids,
        user_id=user.id,
    )


def get_current_user(request: Request, db: DbSession) -> User:
    user_id = request.session.get("user_id") if "session" in request.scope else None
    if user_id is None:
        raise AuthError("log in first")
    user = db.get(User, user_id)
    if user is None or not user.is_active:
        request.session.clear()
        raise AuthError("your session has ended; log in again")
    return user


CurrentUser = Annotated[User, Depends(get_current_user)]


def get_principal(request: Request, db: DbSession) -> Principal:
    header = request.headers.get("authorization", "")
    token = request.headers.get("x-api-key")
    if header.lower().startswith("bearer "):
        token = header[7:].strip()
    if token:
        key = service.verify_api_key(db, token)
        return Principal(name=f"apikey:{key.name}", role="api", scopes=list(key.scopes))
    return principal_from_user(get_current_user(request, db))


ApiPrincipal = Annotated[Principal, Depends(get_principal)]
