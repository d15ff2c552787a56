"""Products (SKUs) and their category tree, in and out."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field


class CategoryCreate(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True)

    code: str = Field(min_length=1, max_length=32)
    name: str = Field(min_length=1, max_length=64)
    name_en: str | None = Field(default=None, max_length=64)
    parent_code: str | None = Field(default=None, max_length=32)
    replenish_days: int | None = Field(default=None, gt=0)


class CategoryRead(CategoryCreate):
    model_config = ConfigDict(from_attributes=True)


class ProductCreate(BaseModel):
    """A SKU as master data delivers it; ``sku`` is the key other domains store."""

    model_config = ConfigDict(str_strip_whitespace=True)

    sku: str = Field(min_length=1, max_length=32)
    name: str = Field(min_length=1, max_length=128)
    category_code: str | None = Field(default=None, max_length=32)
    brand: str | None = Field(default=None, max_length=64)
    flavor: str | None = Field(default=None, max_length=32)
    price: Decimal = Field(ge=0, max_digits=12, decimal_places=2)
    barcode: str | None = Field(default=None, max_length=32)
    pack_size: int = Field(default=1, ge=1, le=100_000)
    unit: str | None = Field(default=None, max_length=16)
    launch_date: date | None = None
    is_active: bool = True


class ProductRead(ProductCreate):
    model_config = ConfigDict(from_attributes=True)

    category_name: str | None = None
    parent_category_code: str | None = None

    @property
    def price_fen(self) -> int:
        return int((self.price * 100).to_integral_value())
