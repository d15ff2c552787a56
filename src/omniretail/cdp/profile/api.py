"""``/api/v1/customers``: search, the Customer 360 profile and its timeline."""

from __future__ import annotations

from fastapi import APIRouter, Query

from omniretail.cdp.profile import identity_api, service
from omniretail.cdp.profile.schemas import CustomerProfile, CustomerSearch, Timeline
from omniretail.platform.auth.deps import ApiPrincipal, DbSession

router = APIRouter()  # /customers (below) and /identity (identity_api)
customers = APIRouter(prefix="/customers", tags=["customers"])


@customers.get("", response_model=CustomerSearch)
def search_customers(
    db: DbSession,
    principal: ApiPrincipal,
    q: str = Query(..., min_length=1, max_length=128, description="Id, identifier, name, phone"),
    limit: int = Query(20, ge=1, le=100),
) -> CustomerSearch:
    """Find customers by customer id, any identifier, name prefix or phone ending."""
    principal.require("read")
    items = service.search(db, principal, q, limit=limit)
    return CustomerSearch.model_validate({"q": q, "count": len(items), "items": items})


@customers.get("/{identifier}", response_model=CustomerProfile)
def get_customer(identifier: str, db: DbSession, principal: ApiPrincipal) -> CustomerProfile:
    """The Customer 360 profile, by our customer id or any identifier (phone in any format,
    openid, unionid, member card, platform buyer id, ``source:record id``)."""
    principal.require("read")
    return service.get_profile(db, principal, identifier)


@customers.get("/{identifier}/timeline", response_model=Timeline)
def get_timeline(
    identifier: str,
    db: DbSession,
    principal: ApiPrincipal,
    page: int = Query(1, ge=1, le=10_000),
    size: int = Query(50, ge=1, le=200),
) -> Timeline:
    """Orders, events and reviews across channels, newest first."""
    principal.require("read")
    return service.timeline(db, principal, identifier, page=page, size=size)


router.include_router(customers)
router.include_router(identity_api.router)
