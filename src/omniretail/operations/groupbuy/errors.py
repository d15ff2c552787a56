"""Group-buying errors, each naming the problem in Chinese (the console) and English (the API's
``detail``); the problem details carry ``message_zh`` too."""

from __future__ import annotations

from typing import Any

from omniretail.platform.auth.errors import PermissionDenied
from omniretail.platform.errors import Conflict, DomainError, InvalidInput, NotFound


class GroupBuyError(DomainError):
    reason: str = "groupbuy"

    def __init__(self, zh: str, en: str, *, field: str | None = None, **extra: Any) -> None:
        super().__init__(en, field=field, reason=self.reason, message_zh=zh, **extra)
        self.message_zh = zh


class UnknownLeader(GroupBuyError, NotFound):
    type_suffix = "groupbuy-unknown-leader"
    reason = "unknown_leader"

    def __init__(self, code: str, field: str = "leader") -> None:
        super().__init__(f"团长 {code} 不存在", f"no group leader {code!r}", field=field)


class LeaderNotActive(GroupBuyError, Conflict):
    type_suffix = "groupbuy-leader-not-active"
    reason = "leader_not_active"


class UnknownActivity(GroupBuyError, NotFound):
    type_suffix = "groupbuy-unknown-activity"
    reason = "unknown_activity"

    def __init__(self, code: str) -> None:
        super().__init__(
            f"团购活动 {code} 不存在", f"no group-buy activity {code!r}", field="activity"
        )


class UnknownOrder(GroupBuyError, NotFound):
    type_suffix = "groupbuy-unknown-order"
    reason = "unknown_order"

    def __init__(self, order_id: int) -> None:
        super().__init__(
            f"团购订单 {order_id} 不存在", f"no group-buy order {order_id}", field="order"
        )


class ActivityClosed(GroupBuyError, Conflict):
    """An order after the cut-off, or for an activity already decided."""

    type_suffix = "groupbuy-activity-closed"
    reason = "activity_closed"


class InvalidGroupBuy(GroupBuyError, InvalidInput):
    type_suffix = "groupbuy-invalid"
    reason = "invalid"


class HoldExhausted(GroupBuyError, Conflict):
    """The leader's stock hold for a SKU has fewer units left than ordered."""

    type_suffix = "groupbuy-hold-exhausted"
    reason = "hold_exhausted"


class IllegalOrderState(GroupBuyError, Conflict):
    type_suffix = "groupbuy-illegal-state"
    reason = "illegal_state"


class InsufficientCommission(GroupBuyError, Conflict):
    type_suffix = "groupbuy-insufficient-commission"
    reason = "insufficient_commission"


class PointFull(GroupBuyError, Conflict):
    """The leader's pickup point already holds as many parcels as its capacity."""

    type_suffix = "groupbuy-point-full"
    reason = "point_full"


class NotYourPoint(GroupBuyError, PermissionDenied):
    """A leader's login asking for another leader's point (or an HQ action)."""

    type_suffix = "groupbuy-not-your-point"
    reason = "not_your_point"
