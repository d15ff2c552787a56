"""FastAPI dependencies: ``DbSession`` (the request owns the transaction), ``CurrentUser``,
``ApiPrincipal`` (a console session or an API key); and, for routes on a latency budget,
``in_one_hop`` (authenticate and work in one worker-thread hop) with its ``SignedIn`` guard."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import Annotated, TypeVar

from fastapi import Depends, Request
from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session, object_session
from starlette.concurrency import run_in_threadpool

from omniretail.platform.auth import service, sessions
from omniretail.platform.auth.errors import AuthError, PermissionDenied
from omniretail.platform.auth.models import User
from omniretail.platform.auth.scope import store_codes_of
from omniretail.platform.db import session_factory, session_scope


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
    # the codes of ``store_ids`` (None = every store), resolved when the principal is built;
    # read them through ``platform.auth.scope.store_scope``
    store_codes: list[str] | None = None

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
    "leader": ["read"],  # a group-buy leader (团长): their own point's pages, no store's data
}


def _storeless_clerk(role: str, store_ids: list[int] | None) -> bool:
    """A clerk works for stores; one created without a store sees no store (so no customer),
    not every store. A group-buy leader (团长) is no store's staff: they see no store either,
    only their own point's pages (``operations.groupbuy.pages``)."""
    return role == "leader" or (role == "clerk" and not store_ids)


def principal_from_user(user: User, session: Session | None = None) -> Principal:
    """The caller a console user is; ``session`` resolves their stores' codes (default: the
    session ``user`` was loaded in)."""
    db = session if session is not None else object_session(user)
    if user.store_ids is not None and db is None:
        raise RuntimeError("principal_from_user needs a session to resolve the user's stores")
    return Principal(
        name=user.username,
        role=user.role,
        scopes=ROLE_SCOPES.get(user.role, ["read"]),
        store_ids=user.store_ids,
        user_id=user.id,
        store_codes=[]
        if _storeless_clerk(user.role, user.store_ids)
        else None
        if db is None
        else store_codes_of(db, user.store_ids),
    )


def get_current_user(request: Request, db: DbSession) -> User:
    had_session = "session" in request.scope and request.session.get("user_id") is not None
    user_id = sessions.current_user_id(request, db)
    if user_id is None:
        raise AuthError("your session has ended; log in again" if had_session else "log in first")
    user = db.get(User, user_id)
    if user is None or not user.is_active:
        request.session.clear()
        raise AuthError("your session has ended; log in again")
    return user


CurrentUser = Annotated[User, Depends(get_current_user)]


def _api_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    token = request.headers.get("x-api-key")
    if header.lower().startswith("bearer "):
        token = header[7:].strip()
    return token or None


def _key_principal(db: Session, token: str) -> Principal:
    key = service.verify_api_key(db, token)
    return Principal(
        name=f"apikey:{key.name}",
        role="api",
        scopes=list(key.scopes),
        store_ids=key.store_ids,
        store_codes=store_codes_of(db, key.store_ids),
    )


def get_principal(request: Request, db: DbSession) -> Principal:
    token = _api_token(request)
    if token:
        return _key_principal(db, token)
    return principal_from_user(get_current_user(request, db))


# built once: the columns a Principal needs, without loading the User entity
_SESSION_USER = select(User.username, User.role, User.store_ids, User.is_active).where(
    User.id == bindparam("user_id")
)

# Callers verified in the last few seconds, for request_principal only. Keyed by the store and
# the session's user id or the SHA-256 digest of an API key (never the key itself). A
# deactivated user, a changed role or a revoked key takes effect within PRINCIPAL_TTL seconds.
PRINCIPAL_TTL = 5.0
_MAX_CACHED = 10_000
_verified: dict[tuple[object, ...], tuple[float, Principal]] = {}


def forget_session(session_key: str) -> None:
    """Drop the cached verification of one console session (at logout, in this process)."""
    for key in [k for k in _verified if k[1:] == ("session", session_key)]:
        _verified.pop(key, None)


def forget_verified_callers() -> None:
    """Drop every cached verification (tests; after revoking a key or deactivating a user when
    the change must not wait for PRINCIPAL_TTL in this process)."""
    _verified.clear()


def _cached(key: tuple[object, ...]) -> Principal | None:
    hit = _verified.get(key)
    return hit[1] if hit is not None and hit[0] > time.monotonic() else None


def _verify(request: Request, db: Session) -> Principal:
    store = db.get_bind().engine.url
    token = _api_token(request)
    if token:
        key: tuple[object, ...] = (store, "key", hashlib.sha256(token.encode()).digest())
        principal = _cached(key) or _key_principal(db, token)
    else:
        sid = sessions.session_key(request)
        if sid is None or request.session.get("user_id") is None:
            raise AuthError("log in first")
        key = (store, "session", sid)
        principal = _cached(key) or _session_principal(request, db)
    if key not in _verified or _verified[key][1] is not principal:  # verified just now
        if len(_verified) >= _MAX_CACHED:
            _verified.clear()
        _verified[key] = (time.monotonic() + PRINCIPAL_TTL, principal)
    return principal


def _session_principal(request: Request, db: Session) -> Principal:
    user_id = sessions.current_user_id(request, db)
    if user_id is None:
        raise AuthError("your session has ended; log in again")
    row = db.execute(_SESSION_USER, {"user_id": user_id}).first()
    if row is None or not row.is_active:
        request.session.clear()
        raise AuthError("your session has ended; log in again")
    return Principal(
        name=row.username,
        role=row.role,
        scopes=ROLE_SCOPES.get(row.role, ["read"]),
        store_ids=row.store_ids,
        user_id=user_id,
        store_codes=[]
        if _storeless_clerk(row.role, row.store_ids)
        else store_codes_of(db, row.store_ids),
    )


def request_principal(request: Request, db: Session) -> Principal:
    """The same caller and the same errors as ``get_principal``, for routes on a latency
    budget that authenticate inside their own unit of work (one worker-thread hop, see the
    coupon validate/redeem routes). A console session is resolved with one narrow prebuilt
    ``SELECT`` instead of loading the ``User`` entity, and a verified caller is remembered for
    PRINCIPAL_TTL seconds, so a busy client does not pay a database round trip per request.
    Each call gets its own copy."""
    principal = _verify(request, db)
    return replace(
        principal,
        scopes=list(principal.scopes),
        store_ids=None if principal.store_ids is None else list(principal.store_ids),
        store_codes=None if principal.store_codes is None else list(principal.store_codes),
    )


ApiPrincipal = Annotated[Principal, Depends(get_principal)]

T = TypeVar("T")


async def _has_credentials(request: Request) -> None:
    """An anonymous caller gets 401 before its body is looked at, as with ``ApiPrincipal``.
    Only the presence of a credential is checked here, on the event loop; ``in_one_hop``
    verifies it."""
    if request.headers.get("x-api-key") or request.headers.get("authorization"):
        return
    if "session" in request.scope and request.session.get("user_id") is not None:
        return
    raise AuthError("log in first")


SignedIn = Annotated[None, Depends(_has_credentials)]


def _authorised(
    request: Request,
    scope: str,
    work: Callable[[Session, Principal], T],
    read_only: bool,
) -> T:
    with session_scope() as db:
        if read_only:
            db.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
        principal = request_principal(request, db)
        principal.require(scope)
        return work(db, principal)


async def in_one_hop(
    request: Request,
    scope: str,
    work: Callable[[Session, Principal], T],
    *,
    read_only: bool = False,
) -> T:
    """Authenticate the caller (session cookie or API key, as ``ApiPrincipal``), check
    ``scope`` and run ``work(db, principal)`` in one transaction committed before the response
    is sent — all in ONE worker-thread hop, for ``async def`` routes on a latency budget (the
    sync ``DbSession`` + ``ApiPrincipal`` dependencies take a hop each for opening the session,
    the principal, the route and closing). ``read_only`` work runs in autocommit mode: no BEGIN
    and COMMIT round trips for a few SELECTs."""
    return await run_in_threadpool(_authorised, request, scope, work, read_only)
