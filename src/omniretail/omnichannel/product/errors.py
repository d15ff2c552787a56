"""Errors of the product master data."""

from __future__ import annotations

from omniretail.platform.errors import NotFound


class UnknownProduct(NotFound):
    """No product has this SKU (or barcode)."""

    def __init__(self, sku: str, *, field: str = "sku") -> None:
        super().__init__(f"商品 {sku!r} 不存在 (unknown SKU {sku!r})", field=field)
        self.sku = sku
