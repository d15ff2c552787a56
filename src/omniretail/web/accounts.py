"""Read-only views of console users and API keys for the settings page."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from omniretail.omnichannel.store.models import Store
from omniretail.platform.auth.models import ApiKey, User


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.username)))


def list_api_keys(session: Session) -> list[ApiKey]:
    return list(session.scalars(select(ApiKey).order_by(ApiKey.created_at.desc(), ApiKey.id)))


def store_choices(session: Session) -> list[Store]:
    """Stores a store manager or clerk can be scoped to."""
    return list(session.scalars(select(Store).where(Store.is_active).order_by(Store.code)))


def store_names(session: Session, store_ids: list[int] | None) -> list[str]:
    if not store_ids:
        return []
    rows = session.execute(
        select(Store.code, Store.name).where(Store.id.in_(store_ids)).order_by(Store.code)
    )
    return [f"{code} {name}" for code, name in rows]
