"""``/api/v1/products``: SKUs with barcodes and pack sizes, and the category tree (read)."""

from __future__ import annotations

from fastapi import APIRouter, Query

from omniretail.omnichannel.product import service
from omniretail.omnichannel.product.schemas import CategoryRead, ProductRead
from omniretail.platform.auth.deps import ApiPrincipal, DbSession

router = APIRouter(prefix="/products", tags=["master data"])


@router.get("", response_model=list[ProductRead])
def list_products(
    db: DbSession,
    who: ApiPrincipal,
    category: str | None = None,
    q: str | None = Query(None, max_length=64),
    barcode: str | None = Query(None, max_length=32),
    limit: int = Query(100, ge=1, le=1000),
    offset: int = Query(0, ge=0),
) -> list[ProductRead]:
    """Products by category (or its parent), name or SKU; ``barcode`` finds the one scanned."""
    who.require("read")
    if barcode is not None:
        return [service.get_product_by_barcode(db, barcode=barcode)]
    return service.list_products(db, category=category, search=q, limit=limit, offset=offset)


@router.get("/categories", response_model=list[CategoryRead])
def list_categories(db: DbSession, who: ApiPrincipal) -> list[CategoryRead]:
    who.require("read")
    return service.list_categories(db)


@router.get("/{sku}", response_model=ProductRead)
def get_product(sku: str, db: DbSession, who: ApiPrincipal) -> ProductRead:
    who.require("read")
    return service.get_product(db, sku=sku)
