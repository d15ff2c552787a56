"""Recommendation endpoints (推荐接口) under /api/v1: per customer, per product, new products."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from omniretail.insight.recommend import service
from omniretail.insight.recommend.schemas import (
    BoughtTogether,
    CustomerRecommendations,
    LikelyCustomers,
    NewProduct,
    NewProductCustomers,
)
from omniretail.insight.segment.scope import store_codes_for
from omniretail.platform.auth.deps import ApiPrincipal, DbSession

router = APIRouter(tags=["recommendations"])


@router.get("/customers/{customer_id}/recommendations", response_model=CustomerRecommendations)
def customer_recommendations(
    principal: ApiPrincipal,
    db: DbSession,
    customer_id: Annotated[str, Path(max_length=64)],
    k: Annotated[int, Query(ge=1, le=100)] = 10,
) -> CustomerRecommendations:
    """Top-k products for a customer (business rules applied); popular products for a
    customer with no purchases yet. Store-limited users only see customers of their stores
    (others are 404, as for an unknown customer)."""
    principal.require("read")
    return CustomerRecommendations.model_validate(
        service.customer_recommendations(
            customer_id=customer_id, k=k, store_codes=store_codes_for(db, principal)
        )
    )


@router.get("/products/{sku}/likely-customers", response_model=LikelyCustomers)
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
        service.likely_customers(sku=sku, n=n, store_codes=store_codes_for(db, principal))
    )


@router.get("/products/{sku}/bought-together", response_model=BoughtTogether)
def bought_together(
    principal: ApiPrincipal,
    sku: Annotated[str, Path(max_length=64)],
    k: Annotated[int, Query(ge=1, le=50)] = 10,
) -> BoughtTogether:
    """Products frequently bought in the same order (co-occurrence lift)."""
    principal.require("read")
    return BoughtTogether.model_validate(service.bought_together(sku=sku, k=k))


@router.post("/products/likely-customers", response_model=NewProductCustomers)
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
        store_codes=store_codes_for(db, principal),
    )
    return NewProductCustomers.model_validate(result)
