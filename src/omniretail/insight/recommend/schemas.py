"""API shapes for recommendations."""

from __future__ import annotations

from pydantic import BaseModel, Field


class RecommendedProduct(BaseModel):
    rank: int
    sku: str
    score: float
    name: str | None = None
    category_code: str | None = None
    category_name: str | None = None
    price: float | None = None


class CustomerRecommendations(BaseModel):
    customer_id: str
    basis: str = Field(description="personal, or popular for a customer with no purchases yet")
    items: list[RecommendedProduct]


class LikelyCustomer(BaseModel):
    rank: int
    customer_id: str
    score: float


class LikelyCustomers(BaseModel):
    sku: str
    customers: list[LikelyCustomer]


class BoughtTogetherItem(BaseModel):
    rank: int
    sku: str
    together: int = Field(description="orders containing both products")
    confidence: float = Field(description="share of the product's orders that contain this one")
    lift: float
    name: str | None = None
    category_code: str | None = None
    category_name: str | None = None
    price: float | None = None


class BoughtTogether(BaseModel):
    sku: str
    items: list[BoughtTogetherItem]


class NewProduct(BaseModel):
    """A product not on sale yet (新品), described by its attributes."""

    name: str = Field(min_length=1, max_length=200, examples=["良品铺子 芝士 腰果 120g"])
    category_code: str | None = None
    parent_category_code: str | None = None
    brand: str | None = None
    flavor: str | None = None
    price: float | None = Field(default=None, ge=0)


class NewProductCustomers(BaseModel):
    algorithm: str
    customers: list[LikelyCustomer]
