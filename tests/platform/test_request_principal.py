"""``request_principal``: the same caller and errors as ``get_principal`` (session or API key),
with verified callers remembered for a few seconds, keyed without the plaintext key."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.orm import Session
from starlette.requests import Request

from omniretail.platform import db, migrate
from omniretail.platform.auth import deps, service, sessions
from omniretail.platform.auth.errors import AuthError
from omniretail.platform.auth.models import ApiKey, User


def _request(*, user_id: int | None = None, key: str | None = None) -> Request:
    headers = [(b"x-api-key", key.encode())] if key else []
    session = {} if user_id is None else {"user_id": user_id}
    return Request(
        {
            "type": "http",
            "method": "POST",
            "path": "/",
            "headers": headers,
            "query_string": b"",
            "session": session,
        }
    )


def _signed_in(store: Session, user: User) -> Request:
    """A request carrying the cookie of a live server-side session of ``user``."""
    req = _request()
    sessions.start(store, req, user)
    store.commit()
    return req


@pytest.fixture
def store(home: Path) -> Session:
    migrate.upgrade()
    deps.forget_verified_callers()
    s = db.session_factory()()
    yield s  # type: ignore[misc]
    s.rollback()
    s.close()
    deps.forget_verified_callers()


def test_same_principal_as_get_principal(store: Session) -> None:
    user = service.create_user(
        store, username="sm", password="pass-word-1", role="store_manager", store_ids=[3, 4]
    )
    _, plain = service.create_api_key(store, name="pos", scopes=["read", "write"])
    store.commit()
    as_user = _signed_in(store, user)
    for req in (as_user, _request(key=plain)):
        assert deps.request_principal(req, store) == deps.get_principal(req, store)
    fast = deps.request_principal(as_user, store)
    assert (fast.name, fast.role, fast.store_ids, fast.user_id) == (
        "sm",
        "store_manager",
        [3, 4],
        user.id,
    )
    fast.scopes.append("admin")  # each call gets its own copy
    assert not deps.request_principal(as_user, store).can("admin")


def test_bad_credentials_are_401(store: Session) -> None:
    _, plain = service.create_api_key(store, name="pos", scopes=["read"])
    store.commit()
    for req in (
        _request(),
        _request(user_id=999),  # a cookie without a server-side session
        _request(key=plain + "x"),
        _request(key="nonsense"),
    ):
        with pytest.raises(AuthError):
            deps.request_principal(req, store)


def test_deactivation_and_revocation_take_effect_after_the_ttl(
    store: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = service.create_user(store, username="m", password="pass-word-1", role="marketer")
    key, plain = service.create_api_key(store, name="pos", scopes=["read"])
    store.commit()
    as_user, as_key = _signed_in(store, user), _request(key=plain)
    deps.request_principal(as_user, store)
    deps.request_principal(as_key, store)
    store.get(User, user.id).is_active = False  # type: ignore[union-attr]
    store.get(ApiKey, key.id).revoked_at = db.utcnow()  # type: ignore[union-attr]
    store.commit()
    # within the TTL the verified callers are remembered...
    assert deps.request_principal(as_user, store).name == "m"
    assert deps.request_principal(as_key, store).name == "apikey:pos"
    # ...and no longer once it has passed
    monkeypatch.setattr(deps, "PRINCIPAL_TTL", 0.0)
    deps.forget_verified_callers()
    with pytest.raises(AuthError, match="session has ended"):
        deps.request_principal(as_user, store)
    assert as_user.session == {}  # the ended session is cleared, as get_principal does
    with pytest.raises(AuthError, match="revoked"):
        deps.request_principal(as_key, store)


def test_the_cache_never_holds_the_plain_key(store: Session) -> None:
    _, plain = service.create_api_key(store, name="pos", scopes=["read"])
    store.commit()
    deps.request_principal(_request(key=plain), store)
    assert deps._verified
    assert plain not in repr(deps._verified)
    assert plain.encode() not in repr(deps._verified).encode()
