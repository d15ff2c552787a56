"""``/api/v1/identity``: explanation of merges, manual merge and unmerge, constraints.

Served by the profile (mounted by ``cdp/profile/api.py``): every route first finds the
customer the caller may see (the profile's lookup and store scope), then asks identity."""

from __future__ import annotations

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from omniretail.cdp.identity import explain as explain_mod
from omniretail.cdp.identity import service
from omniretail.cdp.identity.schemas import ConstraintList, Explanation, MergeResult, UnmergeResult
from omniretail.cdp.profile import masking
from omniretail.cdp.profile import service as profile_service
from omniretail.cdp.profile.service import get_visible_customer
from omniretail.platform.auth.deps import ApiPrincipal, DbSession
from omniretail.platform.auth.scope import OutOfScope
from omniretail.platform.engine.snapshot import NOT_COMPUTED_RESPONSES, published_engine

router = APIRouter(prefix="/identity", tags=["identity"])


class MergeIn(BaseModel):
    customer_id: str = Field(..., description="The customer that survives.")
    other_customer_id: str = Field(..., description="The customer merged into it.")
    reason: str = Field(..., min_length=1, max_length=500)


class UnmergeIn(BaseModel):
    customer_id: str
    record_keys: list[str] = Field(..., min_length=1, max_length=200)
    reason: str = Field(..., min_length=1, max_length=500)


@router.get("/explain/{identifier}", response_model=Explanation, responses=NOT_COMPUTED_RESPONSES)
def explain(
    identifier: str,
    db: DbSession,
    principal: ApiPrincipal,
    a: str | None = Query(None, description="Record key to start the chain from."),
    b: str | None = Query(None, description="Record key to end the chain at."),
) -> Explanation:
    """Why are these records one customer: its records, links and the chains between them."""
    principal.require("read")
    customer = get_visible_customer(db, principal, identifier)
    engine = published_engine()
    try:
        found = explain_mod.explain(engine, customer.customer_id, record_a=a, record_b=b)
    finally:
        engine.close()
    if not principal.sees_personal_data:
        for edge in found.edges:
            edge.evidence = masking.mask_evidence(edge.evidence)
        for chain in found.chains:
            for link in chain.links:
                link.evidence = masking.mask_evidence(link.evidence)
    return found


@router.post("/merge", response_model=MergeResult, responses=NOT_COMPUTED_RESPONSES)
def merge(body: MergeIn, db: DbSession, principal: ApiPrincipal) -> MergeResult:
    """Declare two customers one person (must-link honoured by every later run; audited)."""
    principal.require("write")
    get_visible_customer(db, principal, body.customer_id)
    get_visible_customer(db, principal, body.other_customer_id)
    engine = published_engine()
    try:
        return MergeResult.model_validate(
            profile_service.merge_customers(
                db,
                engine,
                customer_id=body.customer_id,
                other_customer_id=body.other_customer_id,
                actor=principal.name,
                reason=body.reason,
            )
        )
    finally:
        engine.close()


@router.post("/unmerge", response_model=UnmergeResult, responses=NOT_COMPUTED_RESPONSES)
def unmerge(body: UnmergeIn, db: DbSession, principal: ApiPrincipal) -> UnmergeResult:
    """Split records off a customer (cannot-links honoured by every later run; audited)."""
    principal.require("write")
    get_visible_customer(db, principal, body.customer_id)
    engine = published_engine()
    try:
        return UnmergeResult.model_validate(
            service.unmerge_records(
                db,
                engine,
                customer_id=body.customer_id,
                record_keys=body.record_keys,
                actor=principal.name,
                reason=body.reason,
            )
        )
    finally:
        engine.close()


@router.get("/constraints", response_model=ConstraintList)
def constraints(
    db: DbSession, principal: ApiPrincipal, include_inactive: bool = False
) -> ConstraintList:
    """Manual must-link / cannot-link decisions. They name records of every store, so a
    store-limited caller is refused (403), as the console shows them to chain-wide users
    only."""
    principal.require("read")
    if principal.store_codes is not None:
        raise OutOfScope(
            "identity decisions name every store's records; only a chain-wide user may list them"
        )
    items = service.list_constraints(db, include_inactive=include_inactive)
    return ConstraintList.model_validate({"count": len(items), "items": items})
