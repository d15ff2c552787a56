"""Which customers a caller may see: store managers and clerks only their stores'."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from omniretail.omnichannel.store.models import Store
from omniretail.platform.auth.deps import Principal


def store_codes_for(session: Session, principal: Principal) -> list[str] | None:
    """Store codes of ``principal.store_ids`` (``None`` = every store)."""
    if principal.store_ids is None:
        return None
    if not principal.store_ids:
        return []
    return list(session.scalars(select(Store.code).where(Store.id.in_(principal.store_ids))))
