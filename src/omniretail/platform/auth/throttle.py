"""Login throttling: failed logins are counted per account and per client address; past a
limit within the window the account (or address) is locked for a while and every attempt —
even with the right password — gets 429 with ``Retry-After``.

Counting happens in its own transaction, committed even though the failed login's request
rolls back. Unknown usernames are counted like known ones, so a lock reveals nothing about
which accounts exist.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from omniretail.platform.auth.models import LoginThrottle
from omniretail.platform.config import get_settings
from omniretail.platform.db import session_scope, utcnow
from omniretail.platform.errors import DomainError
from omniretail.platform.keys import normalize_key


class TooManyAttempts(DomainError):
    status = 429
    title = "Too many login attempts"

    def __init__(self, retry_after: int) -> None:
        minutes = max(1, round(retry_after / 60))
        super().__init__(
            f"too many failed logins; try again in {minutes} minute(s)",
            field="username",
            retry_after=retry_after,
            message_zh=f"登录失败次数过多，请 {minutes} 分钟后再试",
        )
        self.retry_after = retry_after


def _aware(dt: datetime) -> datetime:
    return dt if dt.tzinfo is not None else dt.replace(tzinfo=UTC)


def _keys(username: str, address: str | None) -> list[tuple[str, int]]:
    settings = get_settings()
    keys = [(f"user:{normalize_key(username)[:150]}", settings.login_account_limit)]
    if address:
        keys.append((f"addr:{address[:150]}", settings.login_address_limit))
    return keys


def check(username: str, address: str | None, *, now: datetime | None = None) -> None:
    """Raise TooManyAttempts while the account or the address is locked."""
    now = now or utcnow()
    with session_scope() as s:
        rows = s.scalars(
            select(LoginThrottle).where(
                LoginThrottle.key.in_([k for k, _ in _keys(username, address)])
            )
        ).all()
        waits = [
            (_aware(r.locked_until) - now).total_seconds()
            for r in rows
            if r.locked_until is not None and _aware(r.locked_until) > now
        ]
    if waits:
        raise TooManyAttempts(int(max(waits)) + 1)


def _insert_ignore(s: Session, key: str, now: datetime) -> None:
    dialect = postgresql if s.get_bind().dialect.name == "postgresql" else sqlite
    s.execute(
        dialect.insert(LoginThrottle)
        .values(key=key, failures=0, window_start=now)
        .on_conflict_do_nothing(index_elements=["key"])
    )


def failed(username: str, address: str | None, *, now: datetime | None = None) -> None:
    """Count a failed login against the account and the address (committed at once)."""
    now = now or utcnow()
    window = timedelta(seconds=get_settings().login_lock_seconds)
    with session_scope() as s:
        for key, limit in _keys(username, address):
            _insert_ignore(s, key, now)
            row = s.scalar(select(LoginThrottle).where(LoginThrottle.key == key).with_for_update())
            assert row is not None
            if _aware(row.window_start) + window <= now:
                row.failures, row.window_start = 0, now
            row.failures += 1
            if row.failures >= limit:
                row.locked_until = now + window
                row.failures, row.window_start = 0, now


def succeeded(db: Session, username: str) -> None:
    """A successful login clears the account's count (not the address's), in the login's own
    transaction."""
    db.execute(delete(LoginThrottle).where(LoginThrottle.key == _keys(username, None)[0][0]))
