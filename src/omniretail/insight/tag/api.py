"""Tag API: the catalogue with coverage, one customer's tags."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from omniretail.cdp.profile.service import require_visible_customer
from omniretail.insight.tag import service
from omniretail.insight.tag.schemas import CustomerTags, TagRead
from omniretail.platform.auth.deps import ApiPrincipal, DbSession
from omniretail.platform.engine import open_published
from omniretail.platform.engine.snapshot import NOT_COMPUTED_RESPONSES, run_on_published

router = APIRouter(prefix="/tags", tags=["tags"])


@router.get("", response_model=list[TagRead])
def catalogue(principal: ApiPrincipal) -> list[TagRead]:
    """Every tag: id, zh/en names, family, type, definition, refresh policy, coverage."""
    principal.require("read")
    engine = open_published()
    try:
        return [TagRead.model_validate(t) for t in service.catalogue(engine)]
    finally:
        if engine is not None:
            engine.close()


@router.get(
    "/customers/{customer_id}", response_model=CustomerTags, responses=NOT_COMPUTED_RESPONSES
)
def customer(customer_id: str, principal: ApiPrincipal, db: DbSession) -> CustomerTags:
    """One customer's tags grouped by family (for the Customer 360 page); store-limited users
    only for customers of their stores (others are 404, as for an unknown customer)."""
    principal.require("read")
    require_visible_customer(db, principal, customer_id)
    result: dict[str, Any] = run_on_published(lambda e: service.customer_tags(e, customer_id))
    return CustomerTags.model_validate(result)
