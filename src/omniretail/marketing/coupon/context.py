"""Facts about a basket the coupon rules need: each line's categories and the store's region."""

from __future__ import annotations

from sqlalchemy.orm import Session

from omniretail.marketing.coupon.basket import Basket
from omniretail.marketing.coupon.rules import PricedLine
from omniretail.omnichannel.product import service as product_service
from omniretail.omnichannel.store import service as store_service


def store_region(session: Session, store_code: str | None) -> str | None:
    if store_code is None:
        return None
    return store_service.store_region(session, code=store_code)


def sku_categories(session: Session, skus: set[str]) -> dict[str, set[str]]:
    """SKU -> its category code and the parent's, so a scope on 饮品 covers 咖啡 under it."""
    return product_service.sku_categories(session, skus=skus)


def priced_lines(
    session: Session, basket: Basket, *, need_categories: bool = True
) -> list[PricedLine]:
    missing = {ln.sku for ln in basket.lines if ln.category_code is None}
    cats = sku_categories(session, missing) if need_categories and missing else {}
    lines: list[PricedLine] = []
    for ln in basket.lines:
        codes = {ln.category_code} if ln.category_code else cats.get(ln.sku, set())
        amount = ln.unit_price * ln.quantity
        lines.append(
            PricedLine(
                sku=ln.sku,
                category_codes=frozenset(codes),
                quantity=ln.quantity,
                unit_price=ln.unit_price,
                net=amount,
            )
        )
    return lines
