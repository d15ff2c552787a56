"""Why a coupon cannot be used, each with a stable ``reason`` code for clients and the console."""

from __future__ import annotations

from typing import Any

from omniretail.platform.errors import Conflict, DomainError, InvalidInput, NotFound

# reason -> (zh, en) message, the vocabulary of validate()/redeem()
REASONS: dict[str, tuple[str, str]] = {
    "malformed_code": (
        "券码格式或校验位错误",
        "the code is mistyped (bad format or check character)",
    ),
    "unknown_code": ("券码不存在", "no coupon has this code"),
    "not_owner": ("该券不属于此会员", "the coupon belongs to another customer"),
    "not_started": ("券尚未生效", "the coupon is not valid yet"),
    "expired": ("券已过期", "the coupon has expired"),
    "already_used": ("券已使用", "the coupon has already been used"),
    "void": ("券已作废", "the coupon was voided"),
    "template_inactive": ("活动已暂停或结束", "the coupon's offer is paused or ended"),
    "wrong_store": ("该门店不可用", "the coupon cannot be used in this store"),
    "wrong_channel": ("该渠道不可用", "the coupon cannot be used in this channel"),
    "wrong_region": ("该区域不可用", "the coupon cannot be used in this region"),
    "outside_scope": ("购物车中没有适用商品", "no item in the basket is covered by the coupon"),
    "min_spend_not_met": ("未达到最低消费", "the minimum spend is not met"),
    "limit_reached": ("已达使用上限", "the coupon's redemption limit has been reached"),
    "not_stackable": ("不可与其他优惠叠加", "the coupon cannot be combined with other offers"),
    "duplicate_request": ("重复请求的参数不一致", "a retried request differs from the first one"),
}


def message(reason: str, lang: str = "en") -> str:
    zh, en = REASONS[reason]
    return zh if lang == "zh" else en


class CouponError(DomainError):
    """Base for coupon problems: carries ``reason`` (a key of REASONS) and a bilingual detail."""

    def __init__(
        self, reason: str, detail: str | None = None, *, field: str = "code", **extra: Any
    ):
        zh, en = REASONS[reason]
        super().__init__(detail or en, field=field, reason=reason, message_zh=zh, **extra)
        self.reason = reason


class CouponNotFound(CouponError, NotFound):
    type_suffix = "coupon-not-found"


class CouponNotUsable(CouponError, InvalidInput):
    """The coupon exists but does not apply (dates, scope, owner, minimum spend...)."""

    type_suffix = "coupon-not-usable"


class CouponConflict(CouponError, Conflict):
    """Already used, limit reached, or a retry that does not match the first request."""

    type_suffix = "coupon-conflict"


class TemplateError(InvalidInput):
    type_suffix = "coupon-template-invalid"


class TemplateNotFound(NotFound):
    type_suffix = "coupon-template-not-found"


class IssueLimitReached(Conflict):
    type_suffix = "coupon-issue-limit"


def error_for(reason: str, detail: str | None = None, **extra: Any) -> CouponError:
    if reason in ("unknown_code",):
        return CouponNotFound(reason, detail, **extra)
    if reason in ("already_used", "limit_reached", "duplicate_request"):
        return CouponConflict(reason, detail, **extra)
    return CouponNotUsable(reason, detail, **extra)
