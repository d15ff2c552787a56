"""Fulfilment errors, each naming the problem in Chinese (the console) and English."""

from __future__ import annotations

from typing import Any

from omniretail.platform.errors import Conflict, DomainError, InvalidInput, NotFound


class FulfilmentError(DomainError):
    reason: str = "fulfilment"

    def __init__(self, zh: str, en: str, *, field: str | None = None, **extra: Any) -> None:
        super().__init__(en, field=field, reason=self.reason, message_zh=zh, **extra)
        self.message_zh = zh


class FulfilmentNotFound(FulfilmentError, NotFound):
    type_suffix = "fulfilment-not-found"
    reason = "fulfilment_not_found"

    def __init__(self, ref: object) -> None:
        super().__init__(f"履约单 {ref} 不存在", f"no fulfilment {ref}", field="fulfilment")


class IllegalTransition(FulfilmentError, Conflict):
    type_suffix = "illegal-transition"
    reason = "illegal_transition"

    def __init__(self, *, state: str, event: str) -> None:
        from omniretail.omnichannel.fulfillment.flow import EVENT_ZH, STATE_EN, STATE_ZH

        super().__init__(
            f"当前状态为「{STATE_ZH.get(state, state)}」，不能执行「{EVENT_ZH.get(event, event)}」",
            f"cannot {event.replace('_', ' ')} a fulfilment that is {STATE_EN.get(state, state)}",
            field="state",
            state=state,
            event=event,
        )


class InvalidFulfilment(FulfilmentError, InvalidInput):
    type_suffix = "fulfilment-invalid"
    reason = "invalid"


class OutOfRange(FulfilmentError, InvalidInput):
    type_suffix = "delivery-out-of-range"
    reason = "out_of_range"


class NotAllocatable(FulfilmentError, Conflict):
    type_suffix = "not-allocatable"
    reason = "no_stock"


class PickupCodeRejected(FulfilmentError, InvalidInput):
    """A wrong, used, void or expired code (``reason`` says which)."""

    type_suffix = "pickup-code-rejected"

    def __init__(self, reason: str, zh: str, en: str, **extra: Any) -> None:
        self.reason = reason
        super().__init__(zh, en, field="code", **extra)


class TooManyAttempts(FulfilmentError):
    status = 429
    title = "Too many attempts"
    type_suffix = "pickup-code-rate-limited"
    reason = "rate_limited"

    def __init__(self, terminal: str, retry_after_s: int) -> None:
        super().__init__(
            f"终端 {terminal} 10 分钟内核销失败已达 5 次，请 {retry_after_s // 60 + 1} 分钟后再试",
            f"terminal {terminal} had 5 failed verifications in 10 minutes; "
            f"retry in {retry_after_s} s",
            field="terminal",
            retry_after=retry_after_s,
        )


class ReturnRejected(FulfilmentError, Conflict):
    type_suffix = "return-rejected"
    reason = "return_rejected"


class ReturnExceedsSold(FulfilmentError, Conflict):
    type_suffix = "return-exceeds-sold"
    reason = "exceeds_sold"

    def __init__(self, *, line_ref: str, sku: str, sold: int, returned: int, requested: int):
        super().__init__(
            f"{sku}（{line_ref}）售出 {sold} 件，已退 {returned} 件，不能再退 {requested} 件",
            f"{sku} ({line_ref}): {sold} sold, {returned} already returned, "
            f"{requested} more cannot be returned",
            field="quantity",
            sold=sold,
            returned=returned,
            requested=requested,
        )
