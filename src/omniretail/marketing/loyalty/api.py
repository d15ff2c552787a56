"""Loyalty API (/api/v1/loyalty): tiers, the points ledger, member accounts, batch jobs."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from omniretail.cdp.profile.service import require_visible_customer
from omniretail.marketing.coupon.schemas import BatchResult
from omniretail.marketing.loyalty import ledger, service
from omniretail.marketing.loyalty.schemas import (
    AccountRead,
    AdjustIn,
    EarnIn,
    EntryRead,
    PointsResult,
    RedeemIn,
    ReverseIn,
    TierCreate,
    TierRead,
)
from omniretail.platform.auth.deps import ApiPrincipal, DbSession
from omniretail.platform.bounds import DB_ID_MAX, BusinessDate
from omniretail.platform.writes import committed

router = APIRouter(prefix="/loyalty", tags=["loyalty"])


class RefundIn(BaseModel):
    customer_id: str = Field(min_length=1, max_length=32)
    ref: str = Field(min_length=1, max_length=96, description="the redemption to give back")
    return_id: str = Field(min_length=1, max_length=64)


@router.get("/tiers", response_model=list[TierRead])
def list_tiers(db: DbSession, who: ApiPrincipal) -> list[Any]:
    who.require("read")
    return committed(db, service.tiers(db))


@router.post("/tiers", response_model=TierRead, status_code=201)
def create_tier(body: TierCreate, db: DbSession, who: ApiPrincipal) -> Any:
    who.require("admin")
    return committed(db, service.create_tier(db, data=body))


@router.post("/earn", response_model=PointsResult)
def earn(body: EarnIn, db: DbSession, who: ApiPrincipal) -> PointsResult:
    """Once per (source, order_id): an order synced again, or late, earns nothing twice."""
    who.require("write")
    require_visible_customer(db, who, body.customer_id)
    return committed(
        db,
        service.earn(
            db,
            customer_id=body.customer_id,
            source=body.source,
            order_id=body.order_id,
            amount=body.amount,
            occurred_at=body.occurred_at,
        ),
    )


@router.post("/redeem", response_model=PointsResult)
def redeem(body: RedeemIn, db: DbSession, who: ApiPrincipal) -> PointsResult:
    who.require("write")
    require_visible_customer(db, who, body.customer_id)
    return committed(
        db, ledger.redeem_points(db, customer_id=body.customer_id, points=body.points, ref=body.ref)
    )


@router.post("/adjust", response_model=PointsResult)
def adjust(body: AdjustIn, db: DbSession, who: ApiPrincipal) -> PointsResult:
    who.require("admin")
    require_visible_customer(db, who, body.customer_id)
    return committed(
        db,
        ledger.adjust_points(
            db, customer_id=body.customer_id, points=body.points, ref=body.ref, note=body.note
        ),
    )


@router.post("/reverse", response_model=PointsResult)
def reverse(body: ReverseIn, db: DbSession, who: ApiPrincipal) -> PointsResult:
    """A (partial) return takes back points in proportion to the amount returned."""
    who.require("write")
    require_visible_customer(db, who, body.customer_id)
    return committed(
        db,
        ledger.reverse_earn(
            db,
            customer_id=body.customer_id,
            source=body.source,
            order_id=body.order_id,
            return_id=body.return_id,
            returned_amount=body.returned_amount,
        ),
    )


@router.post("/refund-redemption", response_model=PointsResult)
def refund_redemption(body: RefundIn, db: DbSession, who: ApiPrincipal) -> PointsResult:
    who.require("write")
    require_visible_customer(db, who, body.customer_id)
    return committed(
        db,
        ledger.refund_redemption(
            db, customer_id=body.customer_id, ref=body.ref, return_id=body.return_id
        ),
    )


@router.get("/accounts/{customer_id}", response_model=AccountRead)
def account(customer_id: str, db: DbSession, who: ApiPrincipal) -> AccountRead:
    who.require("read")
    require_visible_customer(db, who, customer_id)
    return committed(db, service.account_view(db, customer_id=customer_id))


@router.get("/accounts/{customer_id}/entries", response_model=list[EntryRead])
def entries(
    customer_id: str,
    db: DbSession,
    who: ApiPrincipal,
    limit: int = Query(200, gt=0, le=1000),
    offset: int = Query(0, ge=0, le=DB_ID_MAX),
) -> list[Any]:
    who.require("read")
    require_visible_customer(db, who, customer_id)
    return committed(db, service.entries(db, customer_id=customer_id, limit=limit, offset=offset))


@router.post("/jobs/expire")
def expire(db: DbSession, who: ApiPrincipal) -> dict[str, int]:
    who.require("write")
    return committed(db, service.expire_all(db))


@router.post("/jobs/review-tiers")
def review_tiers(db: DbSession, who: ApiPrincipal) -> dict[str, int]:
    who.require("write")
    return committed(db, service.review_all_tiers(db))


@router.post("/jobs/birthday-coupons", response_model=list[BatchResult])
def birthday_coupons(
    db: DbSession, who: ApiPrincipal, today: BusinessDate | None = None
) -> list[BatchResult]:
    who.require("write")
    day = today or date.today()  # noqa: DTZ011
    return committed(db, service.birthday_coupons(db, today=day))
