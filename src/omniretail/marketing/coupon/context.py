"""Facts about a basket the coupon rules need: each line's categories and the store's region."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from omniretail.marketing.coupon.basket import Basket
from omniretail.marketing.coupon.rules import PricedLine
from omniretail.omnichannel.product.models import Category, Product
from omniretail.omnichannel.store.models import City, Region, Store


def store_region(session: Session, store_code: str | None) -> str | None:
    if store_code is None:
        return None
    row = session.execute(
        select(Region.code)
        .join(City, City.region_id == Region.id)
        .join(Store, Store.city_id == City.id)
        .where(Store.code == store_code)
    ).first()
    return row[0] if row else None


def sku_categories(session: Session, skus: set[str]) -> dict[str, set[str]]:
    """SKU -> its category code and the parent's, so a scope on 饮品 covers 咖啡 under it."""
    if not skus:
        return {}
    parent = aliased(Category)
    rows = session.execute(
        select(Product.sku, Category.code, parent.code)
        .join(Category, Category.id == Product.category_id)
        .outerjoin(parent, parent.id == Category.parent_id)
        .where(Product.sku.in_(skus))
    ).all()
    out: dict[str, set[str]] = {}
    for sku, cat, par in rows:
        out[sku] = {c for c in (cat, par) if c}
    return out


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
