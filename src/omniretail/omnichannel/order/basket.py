"""The basket (购物车): what a customer is about to buy, in a channel and maybe a store.

It belongs to the retail core: a checkout turns it into an order. Discounts for it come from a
pricing provider (:mod:`omniretail.omnichannel.order.pricing`) that marketing registers.
"""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel, Field

from omniretail.platform.bounds import DB_ID_MAX


class BasketLine(BaseModel):
    sku: str = Field(min_length=1, max_length=32)
    quantity: int = Field(gt=0, le=10_000)
    unit_price: Decimal = Field(ge=0, max_digits=12, decimal_places=2)
    category_code: str | None = None  # looked up from the product table when missing
    team_buy_group_id: int | None = Field(
        default=None, ge=1, le=DB_ID_MAX
    )  # the line is bought as part of a 拼团 group


class Basket(BaseModel):
    customer_id: str | None = None
    store_code: str | None = None  # None online
    channel_code: str = Field(min_length=1, max_length=32)
    region_code: str | None = None  # looked up from the store when missing
    lines: list[BasketLine] = Field(min_length=1)
    shipping_fee: Decimal = Field(default=Decimal("0"), ge=0, max_digits=12, decimal_places=2)

    @property
    def subtotal(self) -> Decimal:
        return sum((ln.unit_price * ln.quantity for ln in self.lines), Decimal("0"))
