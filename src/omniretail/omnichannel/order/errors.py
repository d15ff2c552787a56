"""Errors of operational orders (Chinese first, the field at fault named)."""

from __future__ import annotations

from omniretail.platform.errors import Conflict, InvalidInput, NotFound


class OrderNotFound(NotFound):
    def __init__(self, order_id: int | str) -> None:
        super().__init__(f"订单 {order_id} 不存在 (order {order_id} not found)", field="order_id")


class OrderReplayConflict(Conflict):
    """The same (channel, external order id) was sent before with a different body."""

    def __init__(self, external_id: str, field: str) -> None:
        super().__init__(
            f"订单 {external_id!r} 已存在且 {field} 不同：同一订单号的重试必须与首次请求一致 "
            f"(order {external_id!r} exists with a different {field})",
            field=field,
        )


class IllegalTransition(Conflict):
    def __init__(self, current: str, target: str) -> None:
        super().__init__(
            f"订单状态 {current} 不能变为 {target} (illegal status change {current} → {target})",
            field="status",
            current=current,
            target=target,
        )


class InvalidOrder(InvalidInput):
    """An order that cannot be accepted (tenders that do not add up, a return over the sold
    quantity, an unknown pricing provider ...)."""


class UnknownPricing(InvalidInput):
    def __init__(self, name: str) -> None:
        super().__init__(
            f"未注册的计价方式 {name!r} (no pricing provider named {name!r})", field="pricing"
        )
