"""Recommendation endpoints (推荐接口) under /api/v1: per customer, per product, new products.

``GET /customers/{id}/recommendations`` has a latency target (p99 ≤ 30 ms at 200 requests/s on
one worker), so it authenticates in a single worker-thread hop (:func:`read_scope`) and answers
on the event loop: the lookup itself is a dictionary hit in memory. With the usual sync
``DbSession`` + ``ApiPrincipal`` dependencies the request made four thread hops and cost ~5 ms
of server CPU, a whole core at 200 requests/s (docs/benchmarks/recs.md).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from starlette.concurrency import run_in_threadpool

from omniretail.insight.recommend import service
from omniretail.insight.recommend.schemas import (
    BoughtTogether,
    CustomerRecommendations,
    LikelyCustomers,
    NewProduct,
    NewProductCustomers,
)
from omniretail.platform.auth.deps import ApiPrincipal, DbSession, in_one_hop
from omniretail.platform.auth.scope import store_scope
from omniretail.platform.engine.snapshot import NOT_COMPUTED_RESPONSES

router = APIRouter(tags=["recommendations"])


async def read_scope(request: Request) -> list[str] | None:
    """A ``read`` caller's store codes (None: every store): authentication as ``ApiPrincipal``
    (session cookie or API key) and the scope lookup in one worker-thread hop."""
    return await in_one_hop(
        request, "read", lambda _db, principal: store_scope(principal).codes(), read_only=True
    )


ReadScope = Annotated[list[str] | None, Depends(read_scope)]


@router.get(
    "/customers/{customer_id}/recommendations",
    response_model=CustomerRecommendations,
    responses=NOT_COMPUTED_RESPONSES,
)
async def customer_recommendations(
    store_codes: ReadScope,
    customer_id: Annotated[str, Path(max_length=64)],
    k: Annotated[int, Query(ge=1, le=100)] = 10,
) -> dict[str, Any]:
    """Top-k products for a customer (business rules applied); popular products for a
    customer with no purchases yet. Store-limited users only see customers of their stores
    (others are 404, as for an unknown customer)."""
    if not service.snapshot_loaded():  # once per published snapshot: reading it blocks
        await run_in_threadpool(service.snapshot)
    return service.customer_recommendations(customer_id=customer_id, k=k, store_codes=store_codes)


@router.get(
    "/products/{sku}/likely-customers",
    response_model=LikelyCustomers,
    responses=NOT_COMPUTED_RESPONSES,
)
def likely_customers(
    principal: ApiPrincipal,
    db: DbSession,
    sku: Annotated[str, Path(max_length=64)],
    n: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> LikelyCustomers:
    """The n customers most likely to buy this product (works for new products too); for
    store-limited users, the n most likely among their stores' customers."""
    principal.require("read")
    return LikelyCustomers.model_validate(
        service.likely_customers(sku=sku, n=n, store_codes=store_scope(principal).codes())
    )


@router.get(
    "/products/{sku}/bought-together",
    response_model=BoughtTogether,
    responses=NOT_COMPUTED_RESPONSES,
)
def bought_together(
    principal: ApiPrincipal,
    sku: Annotated[str, Path(max_length=64)],
    k: Annotated[int, Query(ge=1, le=50)] = 10,
) -> BoughtTogether:
    """Products frequently bought in the same order (co-occurrence lift)."""
    principal.require("read")
    return BoughtTogether.model_validate(service.bought_together(sku=sku, k=k))


@router.post(
    "/products/likely-customers",
    response_model=NewProductCustomers,
    responses=NOT_COMPUTED_RESPONSES,
)
def new_product_customers(
    principal: ApiPrincipal,
    db: DbSession,
    product: NewProduct,
    n: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> NewProductCustomers:
    """Cold start: the customers most likely to like a product that is not on sale yet
    (store-limited users: among their stores' customers)."""
    principal.require("read")
    result = service.customers_for_new_product(
        attributes=product.model_dump(exclude_none=True),
        n=n,
        store_codes=store_scope(principal).codes(),
    )
    return NewProductCustomers.model_validate(result)
