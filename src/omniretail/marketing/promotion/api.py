"""Promotion API (/api/v1/promotions): promotions, flash-sale stock, team buying, pricing."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from omniretail.marketing.promotion import pricing, service
from omniretail.marketing.promotion.schemas import (
    AllocateIn,
    AllocationRead,
    CheckoutIn,
    PriceIn,
    PromotionCreate,
    PromotionRead,
    Quote,
    TeamOpenIn,
    TeamRead,
)
from omniretail.platform.auth.deps import ApiPrincipal, DbSession, Principal
from omniretail.platform.auth.scope import OutOfScope, store_scope
from omniretail.platform.bounds import DbId
from omniretail.platform.db import utcnow
from omniretail.platform.i18n import N_
from omniretail.platform.writes import committed

router = APIRouter(prefix="/promotions", tags=["promotions"])
CHAIN_ONLY = N_("Promotions are created by marketers and admins for the whole chain.")


def _visible(db: DbSession, who: Principal, customer_id: str | None, field: str) -> None:
    """A store user names only their stores' customers (another store's is unknown, 404)."""
    from omniretail.cdp.profile.service import require_visible_customer

    if customer_id is not None:
        require_visible_customer(db, who, customer_id, field=field)


def _visible_basket(db: DbSession, who: Principal, body: PriceIn) -> None:
    """The coupon API's rule for a basket: a store user prices or checks out only their
    stores' customers (or, for an anonymous basket, in their stores), and only with coupons
    whose owners they see (a code is a bearer instrument)."""
    from omniretail.marketing.coupon import redemption
    from omniretail.marketing.coupon.errors import CouponError

    if body.basket.customer_id is not None:
        _visible(db, who, body.basket.customer_id, "basket.customer_id")
    else:
        store_scope(who).require(body.basket.store_code, field="basket.store_code")
    if not store_scope(who).all_stores:
        for i, code in enumerate(body.coupon_codes):
            try:
                coupon = redemption.find_coupon(db, code)
            except CouponError:
                continue  # an unknown code: the quote says so, as for anyone
            _visible(db, who, coupon.customer_id, f"coupon_codes.{i}")


@router.get("", response_model=list[PromotionRead])
def list_promotions(db: DbSession, who: ApiPrincipal, active: bool = False) -> list[Any]:
    who.require("read")
    return committed(db, service.list_promotions(db, active_at=utcnow() if active else None))


@router.post("", response_model=PromotionRead, status_code=201)
def create_promotion(body: PromotionCreate, db: DbSession, who: ApiPrincipal) -> Any:
    """Create a promotion (it prices every store's baskets: chain-wide users only, as on the
    console; 403 for a store user)."""
    who.require("write")
    if not store_scope(who).all_stores:
        raise OutOfScope(
            "promotions are set for the whole chain; a store-limited user may not create them",
            message=CHAIN_ONLY,
        )
    return committed(db, service.create_promotion(db, data=body))


@router.post("/price", response_model=Quote)
def price(body: PriceIn, db: DbSession, who: ApiPrincipal) -> Quote:
    """Promotions then coupons, one explanation line (zh + en) per discount; changes nothing."""
    who.require("read")
    _visible_basket(db, who, body)
    return committed(
        db, pricing.price_basket(db, basket=body.basket, coupon_codes=body.coupon_codes)
    )


@router.post("/checkout", response_model=Quote)
def checkout(body: CheckoutIn, db: DbSession, who: ApiPrincipal) -> Quote:
    """Price and commit: flash-sale units allocated, coupons redeemed; idempotent by order id."""
    who.require("write")
    _visible_basket(db, who, body)
    return committed(
        db,
        pricing.checkout(
            db, basket=body.basket, order_id=body.order_id, coupon_codes=body.coupon_codes
        ),
    )


@router.post("/teams/close-expired")
def close_expired(db: DbSession, who: ApiPrincipal) -> dict[str, int]:
    who.require("write")
    return committed(db, service.close_expired_teams(db))


@router.post("/teams/{group_id}/members", response_model=TeamRead)
def join_team(group_id: DbId, body: TeamOpenIn, db: DbSession, who: ApiPrincipal) -> Any:
    who.require("write")
    _visible(db, who, body.customer_id, "customer_id")
    return committed(
        db,
        service.join_team(
            db,
            group_id=group_id,
            customer_id=body.customer_id,
            order_id=body.order_id,
            paid_amount=body.paid_amount,
        ),
    )


@router.get("/{code}", response_model=PromotionRead)
def get_promotion(code: str, db: DbSession, who: ApiPrincipal) -> Any:
    who.require("read")
    return committed(db, service.get_promotion(db, code=code))


@router.post("/{code}/allocations", response_model=AllocationRead, status_code=201)
def allocate(code: str, body: AllocateIn, db: DbSession, who: ApiPrincipal) -> Any:
    who.require("write")
    _visible(db, who, body.customer_id, "customer_id")
    return committed(
        db,
        service.allocate_flash_stock(
            db,
            code=code,
            order_id=body.order_id,
            quantity=body.quantity,
            customer_id=body.customer_id,
        ),
    )


@router.delete("/{code}/allocations/{order_id}", response_model=AllocationRead)
def release(code: str, order_id: str, db: DbSession, who: ApiPrincipal) -> Any:
    who.require("write")
    return committed(db, service.release_flash_stock(db, code=code, order_id=order_id))


@router.post("/{code}/teams", response_model=TeamRead, status_code=201)
def open_team(code: str, body: TeamOpenIn, db: DbSession, who: ApiPrincipal) -> Any:
    who.require("write")
    _visible(db, who, body.customer_id, "customer_id")
    return committed(
        db,
        service.open_team(
            db,
            code=code,
            customer_id=body.customer_id,
            order_id=body.order_id,
            paid_amount=body.paid_amount,
        ),
    )
