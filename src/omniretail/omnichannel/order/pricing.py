"""The pricing interface of the checkout: discounts come from a provider registered by name.

The retail core never imports marketing. Marketing (or any other package) implements
:class:`PricingProvider` and registers it with :func:`register_pricing`; the order service asks
the provider named in the order (or the default one) to price the basket and, when the order is
created, to commit to that price (allocate flash-sale units, redeem coupons — idempotent by the
order reference, so a replayed order commits nothing twice).

Providers are found like pipeline steps: every module named ``pricing_provider`` in the
omniretail package is imported once, and it registers what it offers.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from omniretail.omnichannel.order.basket import Basket
from omniretail.omnichannel.order.errors import UnknownPricing


class AppliedDiscount(BaseModel):
    """One discount a provider applied, allocated to lines in fen."""

    source: str  # promotion, coupon, member price ...
    code: str
    kind: str
    amount_fen: int = Field(ge=0)
    shipping_off_fen: int = Field(default=0, ge=0)
    text_zh: str
    text_en: str


class PricingResult(BaseModel):
    discounts: list[AppliedDiscount] = Field(default_factory=list)
    line_discount_fen: list[int]  # per basket line, in basket order
    shipping_off_fen: int = 0
    rejected_coupons: dict[str, str] = Field(default_factory=dict)  # code -> reason (zh)


@runtime_checkable
class PricingProvider(Protocol):
    name: str

    def quote(self, session: Session, *, basket: Basket, coupon_codes: list[str]) -> PricingResult:
        """The discounts for a basket, changing nothing."""
        ...

    def commit(
        self, session: Session, *, basket: Basket, coupon_codes: list[str], order_ref: str
    ) -> PricingResult:
        """Price the basket for the order ``order_ref`` and hold what the price needs (coupons
        redeemed, promotional stock allocated); a retry with the same ``order_ref`` changes
        nothing. Raises a DomainError (nothing applied) when the price cannot be honoured."""
        ...


_PROVIDERS: dict[str, PricingProvider] = {}
_DEFAULT: list[str] = []
_discovered = False


def register_pricing(provider: PricingProvider, *, default: bool = False) -> None:
    """Offer a pricing provider under ``provider.name`` (the default one if ``default``)."""
    _PROVIDERS[provider.name] = provider
    if default and provider.name not in _DEFAULT:
        _DEFAULT.insert(0, provider.name)


def _discover() -> None:
    global _discovered
    if not _discovered:
        from omniretail.platform.registry import modules_named

        modules_named("pricing_provider")
        _discovered = True


def get_pricing(name: str | None = None) -> PricingProvider | None:
    """The provider named ``name``; with no name the default provider (None if there is none).
    An unknown name raises :class:`UnknownPricing` (field ``pricing``)."""
    _discover()
    if name is None:
        return _PROVIDERS[_DEFAULT[0]] if _DEFAULT else None
    if name not in _PROVIDERS:
        raise UnknownPricing(name)
    return _PROVIDERS[name]


def pricing_names() -> list[str]:
    _discover()
    return sorted(_PROVIDERS)


class NoDiscounts:
    """List prices, no discounts: the provider ``list_price``."""

    name = "list_price"

    def quote(self, session: Session, *, basket: Basket, coupon_codes: list[str]) -> PricingResult:
        return PricingResult(line_discount_fen=[0] * len(basket.lines))

    def commit(
        self, session: Session, *, basket: Basket, coupon_codes: list[str], order_ref: str
    ) -> PricingResult:
        return self.quote(session, basket=basket, coupon_codes=coupon_codes)


register_pricing(NoDiscounts())
