"""Product master data: the only way other domains read SKUs, barcodes, pack sizes and the
category tree."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session, aliased, joinedload

from omniretail.omnichannel.common import UpsertResult
from omniretail.omnichannel.product.errors import UnknownProduct
from omniretail.omnichannel.product.models import Category, Product
from omniretail.omnichannel.product.schemas import (
    CategoryCreate,
    CategoryRead,
    ProductCreate,
    ProductRead,
)


def _query() -> Select[Product]:
    return select(Product).options(joinedload(Product.category).joinedload(Category.parent))


def to_read(p: Product) -> ProductRead:
    cat = p.category
    return ProductRead(
        sku=p.sku,
        name=p.name,
        category_code=cat.code if cat is not None else None,
        category_name=cat.name if cat is not None else None,
        parent_category_code=cat.parent.code if cat is not None and cat.parent else None,
        brand=p.brand,
        flavor=p.flavor,
        price=Decimal(p.price),
        barcode=p.barcode,
        pack_size=p.pack_size or 1,
        unit=p.unit,
        launch_date=p.launch_date,
        is_active=p.is_active,
    )


def get_product(session: Session, *, sku: str) -> ProductRead:
    """The product with this SKU; raises :class:`UnknownProduct`."""
    p = session.scalars(_query().where(Product.sku == sku.strip())).first()
    if p is None:
        raise UnknownProduct(sku)
    return to_read(p)


def get_product_by_barcode(session: Session, *, barcode: str) -> ProductRead:
    """The product a scanned barcode names; raises :class:`UnknownProduct` (field barcode)."""
    p = session.scalars(_query().where(Product.barcode == barcode.strip())).first()
    if p is None:
        raise UnknownProduct(barcode, field="barcode")
    return to_read(p)


def get_products(session: Session, *, skus: Iterable[str]) -> dict[str, ProductRead]:
    """The known products among ``skus`` (unknown ones are simply absent)."""
    wanted = sorted({s.strip() for s in skus})
    if not wanted:
        return {}
    rows = session.scalars(_query().where(Product.sku.in_(wanted))).unique()
    return {p.sku: to_read(p) for p in rows}


def list_products(
    session: Session,
    *,
    category: str | None = None,
    search: str | None = None,
    active_only: bool = True,
    limit: int = 100,
    offset: int = 0,
) -> list[ProductRead]:
    """Products in SKU order; ``category`` matches the category or its parent."""
    q = _query().order_by(Product.sku)
    if category is not None:
        parent = aliased(Category)
        q = (
            q.join(Category, Category.id == Product.category_id)
            .outerjoin(parent, parent.id == Category.parent_id)
            .where(or_(Category.code == category, parent.code == category))
        )
    if search:
        like = f"%{search.strip()}%"
        q = q.where(or_(Product.name.like(like), Product.sku == search.strip()))
    if active_only:
        q = q.where(Product.is_active)
    return [to_read(p) for p in session.scalars(q.limit(limit).offset(offset)).unique()]


def sku_categories(session: Session, *, skus: Iterable[str]) -> dict[str, set[str]]:
    """SKU → its category code and the parent's (a scope on 饮品 covers 咖啡 under it)."""
    wanted = list(set(skus))
    if not wanted:
        return {}
    parent = aliased(Category)
    rows = session.execute(
        select(Product.sku, Category.code, parent.code)
        .join(Category, Category.id == Product.category_id)
        .outerjoin(parent, parent.id == Category.parent_id)
        .where(Product.sku.in_(wanted))
    ).all()
    return {sku: {c for c in (cat, par) if c} for sku, cat, par in rows}


def list_categories(session: Session) -> list[CategoryRead]:
    parent = aliased(Category)
    rows = session.execute(
        select(Category, parent.code).outerjoin(parent, parent.id == Category.parent_id)
    ).all()
    return [
        CategoryRead(
            code=c.code,
            name=c.name,
            name_en=c.name_en,
            parent_code=pc,
            replenish_days=c.replenish_days,
        )
        for c, pc in sorted(rows, key=lambda r: r[0].code)
    ]


def upsert_categories(session: Session, *, categories: Sequence[CategoryCreate]) -> UpsertResult:
    """Create or update categories by code; parents are linked after every row exists."""
    existing = {c.code: c for c in session.scalars(select(Category))}
    created = updated = unchanged = 0
    for data in categories:
        row = existing.get(data.code)
        values = {"name": data.name, "name_en": data.name_en, "replenish_days": data.replenish_days}
        if row is None:
            row = Category(code=data.code, **values)
            session.add(row)
            existing[data.code] = row
            created += 1
        elif any(getattr(row, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(row, k, v)
            updated += 1
        else:
            unchanged += 1
    session.flush()
    for data in categories:
        row = existing[data.code]
        parent = existing.get(data.parent_code) if data.parent_code else None
        if parent is None and data.parent_code:
            parent = Category(code=data.parent_code, name=data.parent_code)
            session.add(parent)
            session.flush()
            existing[data.parent_code] = parent
        pid = parent.id if parent is not None and parent is not row else None
        if row.parent_id != pid:
            row.parent_id = pid
    session.flush()
    return UpsertResult(created, updated, unchanged)


_FIELDS = (
    "name",
    "brand",
    "flavor",
    "price",
    "barcode",
    "pack_size",
    "unit",
    "launch_date",
    "is_active",
)


def upsert_products(session: Session, *, products: Iterable[ProductCreate]) -> UpsertResult:
    """Create or update products by SKU; a category code not yet known is created (named by
    its code) so that no product is dropped. Never deletes."""
    rows = list(products)
    cats = {c.code: c for c in session.scalars(select(Category))}
    for code in sorted({r.category_code for r in rows if r.category_code} - set(cats)):
        cats[code] = Category(code=code, name=code)
        session.add(cats[code])
    session.flush()
    existing: dict[str, Product] = {}
    skus = [r.sku for r in rows]
    for i in range(0, len(skus), 5000):
        chunk = select(Product).where(Product.sku.in_(skus[i : i + 5000]))
        existing.update({p.sku: p for p in session.scalars(chunk)})
    created = updated = unchanged = 0
    for data in rows:
        cat_id = cats[data.category_code].id if data.category_code else None
        p = existing.get(data.sku)
        values = {f: getattr(data, f) for f in _FIELDS}
        if p is None:
            p = Product(sku=data.sku, category_id=cat_id, **values)
            session.add(p)
            existing[data.sku] = p
            created += 1
            continue
        changed = p.category_id != cat_id or any(getattr(p, k) != v for k, v in values.items())
        if changed:
            p.category_id = cat_id
            for k, v in values.items():
                setattr(p, k, v)
            updated += 1
        else:
            unchanged += 1
    session.flush()
    return UpsertResult(created, updated, unchanged)
