"""Coupon API (/api/v1/coupons): templates, issue, coupon center, validate, redeem, reverse.

Validate and redeem are on the checkout path and have a latency target (issue 6: p99 ≤ 50 ms
at 200 requests/s, bench/coupon_redeem.py). They are ``async def`` routes that do the
authentication and the coupon work in ONE worker-thread hop and one transaction
(``in_one_hop`` of the auth dependencies); with the sync ``DbSession`` + ``ApiPrincipal``
dependencies a request took five hops (session open, principal, route, response check,
session close).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from omniretail.cdp.profile.service import require_visible_customer
from omniretail.marketing.coupon import redemption, service
from omniretail.marketing.coupon.basket import Basket
from omniretail.marketing.coupon.schemas import (
    BatchResult,
    CouponRead,
    IssueBatchIn,
    IssueIn,
    Liability,
    RedeemIn,
    RedemptionResult,
    ReverseIn,
    TemplateCreate,
    TemplateRead,
    ValidateIn,
    Validation,
)
from omniretail.platform.auth.deps import (
    ApiPrincipal,
    DbSession,
    Principal,
    SignedIn,
    in_one_hop,
)
from omniretail.platform.auth.scope import OutOfScope, store_scope
from omniretail.platform.writes import committed

router = APIRouter(prefix="/coupons", tags=["coupons"])


class StatusIn(BaseModel):
    status: str = Field(pattern="^(active|paused|ended)$")


class ClaimIn(BaseModel):
    customer_id: str = Field(min_length=1, max_length=32)


class CenterItemOut(BaseModel):
    template: TemplateRead
    remaining: int | None
    held: int
    can_claim: bool


@router.get("/templates", response_model=list[TemplateRead])
def list_templates(db: DbSession, who: ApiPrincipal, status: str | None = None) -> list[Any]:
    who.require("read")
    return list(service.list_templates(db, status=status))


@router.post("/templates", response_model=TemplateRead, status_code=201)
def create_template(body: TemplateCreate, db: DbSession, who: ApiPrincipal) -> Any:
    """Create a template (the chain's coupon catalogue: chain-wide users only, 403 for a
    store user; the console lets marketers and admins)."""
    who.require("write")
    _chain_only(who, "the coupon catalogue is the chain's")
    return committed(db, service.create_template(db, data=body))


@router.get("/templates/{code}", response_model=TemplateRead)
def get_template(code: str, db: DbSession, who: ApiPrincipal) -> Any:
    who.require("read")
    return committed(db, service.get_template(db, code=code))


@router.post("/templates/{code}/status", response_model=TemplateRead)
def set_status(code: str, body: StatusIn, db: DbSession, who: ApiPrincipal) -> Any:
    who.require("write")
    _chain_only(who, "the coupon catalogue is the chain's")
    return committed(db, service.set_template_status(db, code=code, status=body.status))


@router.get("/templates/{code}/liability", response_model=Liability)
def liability(code: str, db: DbSession, who: ApiPrincipal) -> Liability:
    """The template's outstanding coupons and their value, chain-wide (403 for a store
    user)."""
    who.require("read")
    _chain_only(who, "a template's liability counts every store's coupons")
    return committed(db, Liability.model_validate(service.liability(db, template_code=code)))


@router.post("/issue", response_model=CouponRead, status_code=201)
def issue(body: IssueIn, db: DbSession, who: ApiPrincipal) -> Any:
    who.require("write")
    require_visible_customer(db, who, body.customer_id)
    return committed(
        db, service.issue(db, template_code=body.template_code, customer_id=body.customer_id)
    )


@router.post("/issue-batch", response_model=BatchResult)
def issue_batch(body: IssueBatchIn, db: DbSession, who: ApiPrincipal) -> BatchResult:
    """Idempotent by (campaign_id, customer_id): resending the same batch issues nothing twice."""
    who.require("write")
    if not store_scope(who).all_stores:
        for i, customer_id in enumerate(body.customer_ids):
            require_visible_customer(db, who, customer_id, field=f"customer_ids.{i}")
    return committed(
        db,
        service.issue_batch(
            db,
            campaign_id=body.campaign_id,
            customer_ids=body.customer_ids,
            template=body.template_code,
        ),
    )


@router.get("/center", response_model=list[CenterItemOut])
def coupon_center(
    db: DbSession, who: ApiPrincipal, customer_id: str | None = None
) -> list[CenterItemOut]:
    who.require("read")
    if customer_id is not None:
        require_visible_customer(db, who, customer_id)
    return [
        CenterItemOut(
            template=TemplateRead.model_validate(i.template),
            remaining=i.remaining,
            held=i.held,
            can_claim=i.can_claim,
        )
        for i in service.coupon_center(db, customer_id=customer_id)
    ]


@router.post("/center/{template_code}/claim", response_model=CouponRead, status_code=201)
def claim(template_code: str, body: ClaimIn, db: DbSession, who: ApiPrincipal) -> Any:
    who.require("write")
    require_visible_customer(db, who, body.customer_id)
    return committed(
        db, service.claim(db, template_code=template_code, customer_id=body.customer_id)
    )


@router.get("", response_model=list[CouponRead])
def customer_coupons(
    db: DbSession,
    who: ApiPrincipal,
    customer_id: str = Query(min_length=1),
    status: str | None = None,
) -> list[Any]:
    who.require("read")
    require_visible_customer(db, who, customer_id)
    return list(service.customer_coupons(db, customer_id=customer_id, status=status))


@router.post("/validate", response_model=Validation)
async def validate(body: ValidateIn, request: Request, _: SignedIn) -> Validation:
    """Always 200: ``valid`` false comes with the ``reason`` code and a zh/en detail."""

    def work(db: Session, who: Principal) -> Validation:
        _visible_basket(db, who, body.basket)
        return redemption.validate(db, code=body.code, basket=body.basket)

    return await in_one_hop(request, "read", work, read_only=True)


@router.post("/redeem", response_model=RedemptionResult)
async def redeem(
    body: RedeemIn,
    request: Request,
    _: SignedIn,
    idempotency_key: Annotated[str | None, Header(max_length=96)] = None,
) -> RedemptionResult:
    """Exactly once per coupon and idempotency key (the ``Idempotency-Key`` header, else the
    body's ``idempotency_key``, else the order id): a retry gets the same answer."""

    def work(db: Session, who: Principal) -> RedemptionResult:
        _visible_basket(db, who, body.basket)
        return redemption.redeem(
            db,
            code=body.code,
            order_id=body.order_id,
            basket=body.basket,
            idempotency_key=idempotency_key or body.idempotency_key,
        )

    return await in_one_hop(request, "write", work)


@router.post("/reverse", response_model=RedemptionResult)
def reverse(body: ReverseIn, db: DbSession, who: ApiPrincipal) -> RedemptionResult:
    who.require("write")
    _visible_coupon(db, who, body.code)
    return committed(db, redemption.reverse(db, code=body.code, return_id=body.return_id))


@router.post("/expire")
def expire(db: DbSession, who: ApiPrincipal) -> dict[str, int]:
    who.require("write")
    _chain_only(who, "expiring coupons is a chain-wide job")
    return committed(db, {"expired": service.expire_due(db)})


@router.get("/{code}", response_model=CouponRead)
def get_coupon(code: str, db: DbSession, who: ApiPrincipal) -> Any:
    who.require("read")
    return committed(db, _visible_coupon(db, who, code))


def _chain_only(who: Principal, why: str) -> None:
    """Chain-wide things (the template catalogue, its liability, the expiry job) are for users
    of every store."""
    if not store_scope(who).all_stores:
        raise OutOfScope(f"{why}; a store-limited user may not do this")


def _visible_basket(db: Session, who: Principal, basket: Basket) -> None:
    """A store-scoped caller may use coupons only for customers of their stores."""
    if basket.customer_id is not None:
        require_visible_customer(db, who, basket.customer_id, field="basket.customer_id")
    elif not store_scope(who).all_stores:
        store_scope(who).require(basket.store_code, field="basket.store_code")


def _visible_coupon(db: Session, who: Principal, code: str) -> Any:
    """The coupon of ``code`` if its owner is visible to the caller (else 404: a code is a
    bearer instrument, another store's codes are not to be confirmed)."""
    coupon = redemption.find_coupon(db, code)
    require_visible_customer(db, who, coupon.customer_id, field="code")
    return coupon
