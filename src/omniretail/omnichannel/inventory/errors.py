"""What can go wrong with stock, each naming the input at fault, in Chinese and English.

Every error carries ``reason`` (a stable code for clients), ``message_zh`` (the console shows it)
and an English ``detail``.
"""

from __future__ import annotations

from typing import Any

from omniretail.platform.errors import Conflict, DomainError, InvalidInput, NotFound


class InventoryError(DomainError):
    reason: str = "inventory"

    def __init__(self, zh: str, en: str, *, field: str | None = None, **extra: Any) -> None:
        super().__init__(en, field=field, reason=self.reason, message_zh=zh, **extra)
        self.message_zh = zh


class UnknownSku(InventoryError, NotFound):
    type_suffix = "unknown-sku"
    reason = "unknown_sku"

    def __init__(self, sku: str) -> None:
        super().__init__(f"商品 {sku} 不存在或未建库存档案", f"unknown SKU {sku!r}", field="sku")


class UnknownLocation(InventoryError, NotFound):
    type_suffix = "unknown-location"
    reason = "unknown_location"

    def __init__(self, code: str) -> None:
        super().__init__(
            f"库存地点（门店/仓库）{code} 不存在",
            f"unknown store or warehouse {code!r}",
            field="location",
        )


class InvalidQuantity(InventoryError, InvalidInput):
    type_suffix = "invalid-quantity"
    reason = "invalid_quantity"

    def __init__(self, quantity: int, *, field: str = "quantity") -> None:
        super().__init__(
            f"数量必须是正整数（收到 {quantity}）",
            f"quantity must be a positive whole number, got {quantity}",
            field=field,
        )


class InsufficientStock(InventoryError, Conflict):
    type_suffix = "insufficient-stock"
    reason = "insufficient_stock"

    def __init__(self, *, location: str, sku: str, requested: int, available: int) -> None:
        super().__init__(
            f"{location} 的 {sku} 可用库存不足：需要 {requested}，可用 {available}",
            f"not enough {sku} at {location}: {requested} requested, {available} available",
            field="quantity",
            location=location,
            sku=sku,
            requested=requested,
            available=available,
        )


class ReservationNotFound(InventoryError, NotFound):
    type_suffix = "reservation-not-found"
    reason = "reservation_not_found"

    def __init__(self, key: str) -> None:
        super().__init__(f"预留 {key} 不存在", f"no reservation with key {key!r}", field="key")


class ReservationClosed(InventoryError, Conflict):
    """The reservation can no longer do what was asked (e.g. commit an expired hold)."""

    type_suffix = "reservation-closed"
    reason = "reservation_closed"

    def __init__(self, key: str, status: str, action: str) -> None:
        zh_status = STATUS_ZH.get(status, status)
        super().__init__(
            f"预留 {key} 已{zh_status}，不能{ACTION_ZH.get(action, action)}",
            f"reservation {key!r} is {status}; cannot {action} it",
            field="key",
            status=status,
        )


class ReservationMismatch(InventoryError, Conflict):
    type_suffix = "reservation-mismatch"
    reason = "duplicate_request"

    def __init__(self, key: str) -> None:
        super().__init__(
            f"重复提交的预留 {key} 与第一次的内容不一致",
            f"a retried reservation {key!r} differs from the first request",
            field="key",
        )


class SnapshotImportError(InventoryError, InvalidInput):
    type_suffix = "stock-snapshot-invalid"
    reason = "snapshot_invalid"


STATUS_ZH = {
    "active": "生效中",
    "committed": "出库",
    "released": "释放",
    "expired": "过期",
    "cancelled": "取消",
}
ACTION_ZH = {"commit": "确认出库", "release": "释放", "cancel": "取消"}
