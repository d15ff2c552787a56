"""Test data for coupons: templates of each kind and baskets."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from omniretail.marketing.coupon import service
from omniretail.marketing.coupon.basket import Basket, BasketLine
from omniretail.marketing.coupon.models import CouponTemplate
from omniretail.marketing.coupon.schemas import TemplateCreate

NOW = datetime(2026, 6, 1, 10, 0, tzinfo=UTC)


def template(session: Session, code: str = "T10", **kw: Any) -> CouponTemplate:
    data: dict[str, Any] = {
        "code": code,
        "name": "满100减10",
        "name_en": "10 off 100",
        "kind": "spend_save",
        "rules": {"tiers": [{"spend": "100", "save": "10"}]},
        "valid_from": NOW - timedelta(days=1),
        "valid_until": NOW + timedelta(days=30),
        "face_value": Decimal("10"),
    }
    data.update(kw)
    return service.create_template(session, data=TemplateCreate(**data))


def basket(
    customer_id: str | None = "C000000001",
    *,
    lines: list[tuple[str, int, str, str | None]] | None = None,
    store: str | None = "S001",
    channel: str = "pos",
    region: str | None = "EAST",
    shipping: str = "0",
) -> Basket:
    lines = lines or [("SKU1", 2, "60.00", "BEV")]
    return Basket(
        customer_id=customer_id,
        store_code=store,
        channel_code=channel,
        region_code=region,
        shipping_fee=Decimal(shipping),
        lines=[
            BasketLine(sku=s, quantity=q, unit_price=Decimal(p), category_code=c)
            for s, q, p, c in lines
        ],
    )
