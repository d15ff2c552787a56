"""Console sessions: who is logged in and where to send those who are not.

``ConsoleUser`` (a dependency) returns the logged-in user of a console page; an anonymous
visitor is redirected (by ``handlers.install``) to ``/login?next=<the page>`` instead of
getting a JSON 401.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated
from urllib.parse import quote, urlsplit

from fastapi import Depends, Request

from omniretail.platform.auth.deps import DbSession, get_current_user
from omniretail.platform.auth.errors import AuthError, PermissionDenied
from omniretail.platform.auth.models import User
from omniretail.platform.console import nav


@dataclass(frozen=True)
class ConsoleIdentity:
    """What pages and templates show about the logged-in user; a plain copy, so it stays
    readable after the request's database session has ended (e.g. in an error page)."""

    id: int
    username: str
    display_name: str | None
    role: str
    store_ids: list[int] | None
    locale: str | None
    last_login_at: datetime | None

    @classmethod
    def of(cls, user: User) -> ConsoleIdentity:
        return cls(
            id=user.id,
            username=user.username,
            display_name=user.display_name,
            role=user.role,
            store_ids=list(user.store_ids) if user.store_ids is not None else None,
            locale=user.locale,
            last_login_at=user.last_login_at,
        )


class RoleHome(Exception):
    """Raised by :func:`console_user` when a role without the overview opens ``/``: it is
    sent to the first area it may open."""

    def __init__(self, url: str) -> None:
        super().__init__(url)
        self.url = url


class LoginRequired(Exception):
    """Raised by :func:`console_user` for an anonymous visitor of a console page."""

    def __init__(self, next_url: str) -> None:
        super().__init__(next_url)
        self.next_url = next_url


def safe_next(value: str | None, default: str = "/") -> str:
    """A local path to return to after login; anything else (other hosts, ``//x``) → default."""
    if not value:
        return default
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or not value.startswith("/") or value.startswith("//"):
        return default
    if "\\" in value or any(ord(c) < 32 for c in value):
        return default
    return value


def login_url(next_url: str | None = None) -> str:
    target = safe_next(next_url, default="")
    if not target or target == "/":
        return "/login"
    return "/login?next=" + quote(target, safe="/")


def console_user(request: Request, db: DbSession) -> User:
    """The logged-in user of a console page (a :class:`ConsoleIdentity` copy is kept on
    ``request.state.user`` for templates)."""
    try:
        user = get_current_user(request, db)
    except AuthError:
        path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise LoginRequired(path) from None
    request.state.user = ConsoleIdentity.of(user)
    refused = nav.refusal(user.role, request.url.path)
    if refused is not None:
        if request.url.path == "/":  # the overview: a role without it starts elsewhere
            raise RoleHome(nav.home_for(user.role))
        raise PermissionDenied(
            f"the {user.role} role cannot open {request.url.path}", message=refused
        )
    return user


ConsoleUser = Annotated[User, Depends(console_user)]
