"""Who runs a CLI command, and so what it may see and do: the API's rule, in the CLI.

A command that reads or writes store data asks :func:`operator` for the caller and applies the
same checks as the API route (``principal.require(scope)``, ``store_scope(principal)``,
``require_visible_customer``). The caller is

- ``--as USER`` (or ``OMNIRETAIL_AS=USER``): that console user, with their role and stores;
- ``OMNIRETAIL_API_KEY=TOKEN``: that API key, with its scopes and stores (the key is verified);
- neither: the local operator — whoever may run the instance's commands has its files, so
  the command runs with full (administrator) rights, as before.

``--as`` names an identity, it does not authenticate one: it makes a script or a store's
terminal see what that user sees through the API, it is no barrier against someone who can
read the instance's database. docs/security.md states the rule.
"""

from __future__ import annotations

import getpass
import os

from sqlalchemy import select
from sqlalchemy.orm import Session

from omniretail.platform.auth import service
from omniretail.platform.auth.deps import ROLE_SCOPES, Principal, principal_from_user
from omniretail.platform.auth.errors import AuthError, PermissionDenied
from omniretail.platform.auth.models import User
from omniretail.platform.auth.scope import store_codes_of, store_scope

AS_ENV = "OMNIRETAIL_AS"
KEY_ENV = "OMNIRETAIL_API_KEY"
_chosen: dict[str, str | None] = {"as": None}


def choose(username: str | None) -> None:
    """The ``--as`` of this invocation (the root command's option)."""
    _chosen["as"] = username or None


def _local_name() -> str:
    try:
        return f"cli:{getpass.getuser()}"[:64]
    except (KeyError, OSError):  # pragma: no cover - no user name in a container
        return "cli"


def operator(session: Session) -> Principal:
    """The caller of this command (see the module doc)."""
    token = os.environ.get(KEY_ENV, "").strip()
    if token:
        key = service.verify_api_key(session, token)
        return Principal(
            name=f"apikey:{key.name}",
            role="api",
            scopes=list(key.scopes),
            store_ids=key.store_ids,
            store_codes=store_codes_of(session, key.store_ids),
        )
    username = _chosen["as"] or os.environ.get(AS_ENV, "").strip() or None
    if username:
        user = session.scalar(select(User).where(User.username == username))
        if user is None or not user.is_active:
            raise AuthError(f"no active user {username!r} (--as)")
        return principal_from_user(user, session)
    return Principal(name=_local_name(), role="admin", scopes=list(ROLE_SCOPES["admin"]))


def actor_name(session: Session) -> str:
    """The name audit entries record for this command's caller."""
    return operator(session).name


def allowed(session: Session, scope: str) -> Principal:
    """The caller, who must hold ``scope`` (read, write, admin) — 403 otherwise."""
    who = operator(session)
    who.require(scope)
    return who


def for_customer(
    session: Session, scope: str, customer_id: str, *, field: str = "customer"
) -> Principal:
    """The caller, who must hold ``scope`` and see customer ``customer_id`` (the API's
    ``require_visible_customer``: another store's customer is unknown, as through the API)."""
    from omniretail.cdp.profile.service import require_visible_customer

    who = allowed(session, scope)
    require_visible_customer(session, who, customer_id, field=field)
    return who


def for_coupon(session: Session, scope: str, code: str) -> Principal:
    """The caller, who must see the owner of coupon ``code`` (a bearer instrument)."""
    from omniretail.marketing.coupon import redemption

    who = allowed(session, scope)
    coupon = redemption.find_coupon(session, code)
    for_customer(session, scope, coupon.customer_id, field="code")
    return who


def for_basket(session: Session, scope: str, customer_id: str | None, store: str | None) -> None:
    """A store-limited caller uses coupons only for their stores' customers (or, for an
    anonymous basket, in their stores)."""
    if customer_id is not None:
        for_customer(session, scope, customer_id, field="basket.customer_id")
        return
    store_scope(allowed(session, scope)).require(store, field="basket.store_code")


def chain_wide(session: Session, scope: str, what: str | None = None) -> Principal:
    """The caller of a chain-wide figure, who must see every store (403 for a store user, as
    the API's chain-wide aggregates). ``what`` names the command in the refusal."""
    who = allowed(session, scope)
    name = f"「{what}」" if what else "这些"
    store_scope(who).require_all_stores(
        detail=f"{name}是全连锁的数字，只有不限门店的（总部）用户可以查看，"
        f"{who.name} 只能看自己的门店"
        f" / {f'{what!r} shows' if what else 'these are'} chain-wide figures: only a "
        f"head-office user of every store may see them; {who.name} is limited to their stores",
        field="--as",
    )
    return who


def named() -> bool:
    """Whether this invocation names its caller (``--as``, ``OMNIRETAIL_AS`` or an API key);
    without one it is the local operator."""
    return bool(
        os.environ.get(KEY_ENV, "").strip() or _chosen["as"] or os.environ.get(AS_ENV, "").strip()
    )


def admin_job(what: str, session: Session | None = None) -> Principal | None:
    """A chain-wide job (a pipeline run, an import of a channel's exports, the demo, the
    quarantine, creating users): the caller must hold the ``admin`` permission — 403 naming the
    role needed otherwise, in Chinese and English. Nothing to check for the local operator
    (``None``; no database is opened, so it works before ``omniretail init``)."""
    if not named():
        return None
    if session is None:
        from omniretail.platform.db import session_scope

        with session_scope() as s:
            return admin_job(what, s)
    who = operator(session)
    if not who.can("admin"):
        raise PermissionDenied(
            f"「{what}」是全连锁的任务，只有管理员（admin 角色）可以运行，{who.name} 的角色是 "
            f"{who.role} / {what!r} is a chain-wide job: only an administrator (role admin) "
            f"may run it; {who.name} has role {who.role}",
            field="--as",
        )
    return who


def visible_store_codes(scope: str) -> list[str] | None:
    """The codes of the stores the caller (holding ``scope``) may see, ``None`` for every
    store — for commands that then read the analytics snapshot (their own session)."""
    from omniretail.platform.db import session_scope

    with session_scope() as s:
        return store_scope(allowed(s, scope)).codes()


def require_chain_wide(scope: str, what: str | None = None) -> None:
    """:func:`chain_wide` in a session of its own (nothing to check for the local operator)."""
    if not named():
        return
    from omniretail.platform.db import session_scope

    with session_scope() as s:
        chain_wide(s, scope, what)
