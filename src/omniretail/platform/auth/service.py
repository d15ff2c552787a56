"""Users, passwords (argon2) and API keys. Services flush; callers commit."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from omniretail.platform.auth.errors import AuthError
from omniretail.platform.auth.models import ROLES, ApiKey, User
from omniretail.platform.db import utcnow
from omniretail.platform.errors import Conflict, InvalidInput

_hasher = PasswordHasher()
API_KEY_SCOPES = ("read", "write", "events", "admin")


def hash_secret(secret: str) -> str:
    return _hasher.hash(secret)


def verify_secret(hashed: str, secret: str) -> bool:
    try:
        return _hasher.verify(hashed, secret)
    except (VerificationError, InvalidHashError):
        return False


def create_user(
    session: Session,
    *,
    username: str,
    password: str,
    role: str,
    display_name: str | None = None,
    store_ids: list[int] | None = None,
    locale: str | None = None,
) -> User:
    if role not in ROLES:
        raise InvalidInput(f"unknown role {role!r}; choose one of {', '.join(ROLES)}", field="role")
    if len(password) < 8:
        raise InvalidInput("password must be at least 8 characters", field="password")
    if role == "store_manager" and not store_ids:
        raise InvalidInput("a store manager needs at least one store", field="store_ids")
    if session.scalar(select(User).where(User.username == username)):
        raise Conflict(f"user {username!r} already exists", field="username")
    user = User(
        username=username,
        password_hash=hash_secret(password),
        role=role,
        display_name=display_name or username,
        store_ids=store_ids,
        locale=locale,
    )
    session.add(user)
    session.flush()
    return user


def ensure_user(
    session: Session,
    *,
    username: str,
    password: str,
    role: str,
    display_name: str | None = None,
    store_ids: list[int] | None = None,
) -> User:
    """Create the user, or reset its password, role and stores if it exists (``omniretail
    demo``)."""
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        return create_user(
            session,
            username=username,
            password=password,
            role=role,
            display_name=display_name,
            store_ids=store_ids,
        )
    user.password_hash = hash_secret(password)
    user.role = role
    user.store_ids = store_ids
    user.is_active = True
    session.flush()
    return user


_timing_hash: list[str] = []


def _dummy_hash() -> str:
    """An argon2 hash to verify against when the user does not exist, so an unknown username
    costs the same time as a wrong password (no enumeration by timing)."""
    if not _timing_hash:
        _timing_hash.append(hash_secret(secrets.token_urlsafe(16)))
    return _timing_hash[0]


def authenticate(session: Session, *, username: str, password: str) -> User:
    user = session.scalar(select(User).where(User.username == username))
    ok = verify_secret(user.password_hash if user is not None else _dummy_hash(), password)
    if user is None or not ok or not user.is_active:
        raise AuthError("wrong username or password")
    user.last_login_at = utcnow()
    session.flush()
    return user


def create_api_key(
    session: Session,
    *,
    name: str,
    scopes: list[str],
    created_by_id: int | None = None,
    store_ids: list[int] | None = None,
) -> tuple[ApiKey, str]:
    """Create a key; returns the row and the plain key (shown once, never stored)."""
    bad = [s for s in scopes if s not in API_KEY_SCOPES]
    if bad:
        raise InvalidInput(
            f"unknown scope {bad[0]!r}; choose from {', '.join(API_KEY_SCOPES)}", field="scope"
        )
    if session.scalar(select(ApiKey).where(ApiKey.name == name)):
        raise Conflict(f"an API key named {name!r} already exists", field="name")
    prefix = secrets.token_hex(4)
    plain = f"or_{prefix}_{secrets.token_urlsafe(32)}"
    key = ApiKey(
        name=name,
        prefix=prefix,
        key_hash=_key_digest(plain),
        scopes=scopes,
        created_by_id=created_by_id,
        store_ids=store_ids,
    )
    session.add(key)
    session.flush()
    return key, plain


def _key_digest(plain: str) -> str:
    """API keys carry 256 random bits, so a fast digest is as safe as a slow password hash
    and keeps machine requests (POS sync, event batches) cheap."""
    return "sha256$" + hashlib.sha256(plain.encode()).hexdigest()


def verify_api_key(session: Session, plain: str) -> ApiKey:
    parts = plain.split("_", 2)
    if len(parts) != 3 or parts[0] != "or":
        raise AuthError("malformed API key")
    key = session.scalar(select(ApiKey).where(ApiKey.prefix == parts[1]))
    if (
        key is None
        or key.revoked_at is not None
        or not hmac.compare_digest(key.key_hash, _key_digest(plain))
    ):
        raise AuthError("invalid or revoked API key")
    now = utcnow()
    last = key.last_used_at
    if last is not None and last.tzinfo is None:
        last = last.replace(tzinfo=now.tzinfo)
    if last is None or (now - last).total_seconds() > 60:
        key.last_used_at = now  # at most one write a minute per key, not one per request
    return key
