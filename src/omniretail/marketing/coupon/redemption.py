"""Validate a coupon against a basket, redeem it exactly once, reverse it on return.

Concurrency (the Saleor way of being precise about vouchers): the coupon row is read
``FOR UPDATE`` (PostgreSQL) and then moved with conditional updates —
``status='redeemed' WHERE status='issued'`` and ``redeemed_count+1 WHERE redeemed_count <
redeem_limit`` — so neither a double redemption nor an over-redemption can commit, on
PostgreSQL under any interleaving, on SQLite because writers are serialized. The idempotency
key (default: the order id) finds a retried request's ledger row and replays its stored answer.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from omniretail.marketing.coupon import apply, codes, lookup
from omniretail.marketing.coupon.basket import Basket
from omniretail.marketing.coupon.context import priced_lines, store_region
from omniretail.marketing.coupon.errors import REASONS, CouponError, error_for
from omniretail.marketing.coupon.lookup import (
    CouponFacts,
    CouponLike,
    LedgerFacts,
    TemplateFacts,
    TemplateLike,
)
from omniretail.marketing.coupon.models import Coupon, CouponRedemption, CouponTemplate
from omniretail.marketing.coupon.rules import Outcome, PricedLine, compute, place_reason
from omniretail.marketing.coupon.schemas import RedemptionResult, Validation
from omniretail.platform.db import utcnow
from omniretail.platform.keys import normalize_key


def _aware(dt: datetime | None) -> datetime | None:
    if dt is None:
        return None
    return dt if dt.tzinfo is not None else dt.replace(tzinfo=UTC)


def _normalized(code: str) -> str:
    norm = codes.normalize(code)
    if not codes.is_well_formed(norm):
        raise error_for("malformed_code", f"{code!r} is not a valid coupon code (check character)")
    return norm


# Statements are built once, with bound parameters, not per request: building a select with an
# aliased entity walked SQLAlchemy's column-adaptation machinery on every call and was a quarter
# of a redemption's CPU. A prebuilt statement also keeps its cache key, so it is compiled once.
_BY_CODE = select(Coupon).where(Coupon.code == bindparam("code"))


def find_coupon(session: Session, code: str, *, lock: bool = False) -> Coupon:
    q = _BY_CODE.with_for_update() if lock else _BY_CODE
    coupon = session.scalar(q, {"code": _normalized(code)})
    if coupon is None:
        raise error_for("unknown_code", f"no coupon has the code {codes.normalize(code)}")
    return coupon


def _load(
    session: Session, code: str, *, kind: str | None = None, key: str | None = None
) -> tuple[CouponFacts, TemplateFacts, LedgerFacts | None]:
    """Coupon + template (+ this request's ledger row, if any) in one round trip. With ``kind``
    the coupon row is locked (``FOR UPDATE OF coupon`` on PostgreSQL)."""
    norm = _normalized(code)
    found = lookup.load(session, norm, kind=kind, key=key)
    if found is None:
        raise error_for("unknown_code", f"no coupon has the code {norm}")
    return found


def check_coupon(
    coupon: CouponLike,
    template: TemplateLike,
    *,
    customer_id: str | None,
    store_code: str | None,
    channel_code: str,
    region_code: str | None,
    lines: list[PricedLine],
    shipping_fee: Decimal,
    now: datetime,
) -> Outcome:
    """Every rule of the coupon, in the order a cashier would explain them; raises CouponError."""
    status_reason = {"redeemed": "already_used", "void": "void", "expired": "expired"}
    if coupon.status in status_reason:
        raise error_for(status_reason[coupon.status])
    if template.status != "active":
        raise error_for("template_inactive")
    if customer_id != coupon.customer_id:
        raise error_for("not_owner", field="basket.customer_id")
    start, end = _aware(coupon.valid_from), _aware(coupon.valid_until)
    if start is not None and now < start:
        raise error_for("not_started", f"the coupon is valid from {start.isoformat()}")
    if end is not None and now >= end:
        raise error_for("expired", f"the coupon expired at {end.isoformat()}")
    place = place_reason(
        template.scope, store_code=store_code, channel_code=channel_code, region_code=region_code
    )
    if place:
        field = {"wrong_store": "store_code", "wrong_channel": "channel_code"}.get(
            place, "region_code"
        )
        raise error_for(place, field=f"basket.{field}")
    outcome = compute(
        kind=template.kind,
        rules=template.rules,
        scope=template.scope,
        min_spend=template.min_spend,
        lines=lines,
        shipping_fee=shipping_fee,
        stack_with_promotions=template.stack_with_promotions,
    )
    if outcome.reason:
        detail = None
        if outcome.reason == "min_spend_not_met":
            detail = f"spend at least {template.min_spend} on covered items"
        raise error_for(outcome.reason, detail, field="basket.lines")
    if template.redeem_limit is not None and template.redeemed_count >= template.redeem_limit:
        raise error_for("limit_reached")
    return outcome


def _needs_region(template: TemplateLike) -> bool:
    scope = template.scope or {}
    return any((scope.get(p) or {}).get("regions") for p in ("include", "exclude"))


def _needs_categories(template: TemplateLike) -> bool:
    scope = template.scope or {}
    return any((scope.get(p) or {}).get("categories") for p in ("include", "exclude"))


def _evaluate(
    session: Session,
    coupon: CouponLike,
    template: TemplateLike,
    basket: Basket,
    now: datetime,
    lines: list[PricedLine] | None = None,
) -> Outcome:
    region = basket.region_code
    if region is None and _needs_region(template):
        region = store_region(session, basket.store_code)
    if lines is None:
        lines = priced_lines(session, basket, need_categories=_needs_categories(template))
    outcome = check_coupon(
        coupon,
        template,
        customer_id=basket.customer_id,
        store_code=basket.store_code,
        channel_code=basket.channel_code,
        region_code=region,
        lines=lines,
        shipping_fee=basket.shipping_fee,
        now=now,
    )
    return outcome


def explain(template: TemplateLike, outcome: Outcome) -> tuple[str, str]:
    """One line per discount, zh and en."""
    name_en = template.name_en or template.name
    if outcome.shipping_off:
        return (
            f"{template.name}：免运费 ¥{outcome.shipping_off}",
            f"{name_en}: free delivery (¥{outcome.shipping_off})",
        )
    if outcome.gift_sku:
        return (
            f"{template.name}：赠品 {outcome.gift_sku}",
            f"{name_en}: free gift {outcome.gift_sku}",
        )
    return (f"{template.name}：优惠 ¥{outcome.discount}", f"{name_en}: ¥{outcome.discount} off")


def validate(
    session: Session, *, code: str, basket: Basket, now: datetime | None = None
) -> Validation:
    """Would this coupon work on this basket? Never raises for a coupon problem: returns why."""
    now = now or utcnow()
    try:
        coupon, template, _ = _load(session, code)
        outcome = _evaluate(session, coupon, template, basket, now)
    except CouponError as exc:
        zh, _en = REASONS[exc.reason]
        return Validation(
            code=code, valid=False, reason=exc.reason, detail=exc.detail, detail_zh=zh
        )
    zh, en = explain(template, outcome)
    return Validation(
        code=coupon.code,
        valid=True,
        discount=outcome.discount,
        shipping_off=outcome.shipping_off,
        gift_sku=outcome.gift_sku,
        explanation_zh=zh,
        explanation_en=en,
    )


def _replay(row: LedgerFacts, status: str) -> RedemptionResult:
    return RedemptionResult.model_validate(
        {**row.result, "coupon_status": status, "replayed": True}
    )


def request_fingerprint(order_id: str, basket: Basket) -> str:
    """What makes two redemption requests the same: the order (its id normalised) and the
    whole basket (customer, store, channel, region, lines, shipping), amounts compared as
    numbers. A retry must match it; the same key with another request is a conflict."""
    canon = {
        "order_id": normalize_key(order_id),
        "customer_id": basket.customer_id,
        "store_code": basket.store_code,
        "channel_code": basket.channel_code,
        "region_code": basket.region_code,
        "shipping_fee": str(basket.shipping_fee.normalize()),
        "lines": [
            [
                ln.sku,
                ln.quantity,
                str(ln.unit_price.normalize()),
                ln.category_code,
                ln.team_buy_group_id,
            ]
            for ln in basket.lines
        ],
    }
    return hashlib.sha256(json.dumps(canon, sort_keys=True).encode()).hexdigest()


def _replay_same(
    row: LedgerFacts, status: str, order_id: str, fingerprint: str
) -> RedemptionResult:
    """The stored answer of the first request, when this one is the same request retried."""
    stored = row.result.get("request")
    same = (
        stored == fingerprint
        if stored is not None  # rows written before fingerprints: the order id decides
        else normalize_key(row.order_id or "") == normalize_key(order_id)
    )
    if not same:
        raise error_for(
            "duplicate_request",
            "this idempotency key was used by another request (order, customer or basket differ)",
            field="order_id",
        )
    return _replay(row, status)


_existing = lookup.existing


def redeem(
    session: Session,
    *,
    code: str,
    order_id: str,
    basket: Basket,
    idempotency_key: str | None = None,
    lines: list[PricedLine] | None = None,
    now: datetime | None = None,
) -> RedemptionResult:
    """Use a coupon on an order, exactly once. A retry with the same key replays the answer.

    ``lines`` (from the pricing function) are the basket lines after promotions and earlier
    coupons; without them the coupon is computed on the basket at list prices.
    """
    now = now or utcnow()
    key = normalize_key(idempotency_key or order_id)
    fingerprint = request_fingerprint(order_id, basket)
    coupon, template, done = _load(session, code, kind="redeem", key=key)
    if done is None and coupon.status != "issued":
        # the row lock may have waited for a concurrent request: look again with a fresh read
        done = _existing(session, coupon.id, "redeem", key)
    if done is not None:
        return _replay_same(done, coupon.status, order_id, fingerprint)
    outcome = _evaluate(session, coupon, template, basket, now, lines)
    result = RedemptionResult(
        code=coupon.code,
        order_id=order_id,
        kind="redeem",
        discount=outcome.discount,
        shipping_off=outcome.shipping_off,
        gift_sku=outcome.gift_sku,
        coupon_status="redeemed",
        line_discounts=outcome.allocations,
    )
    refused = apply.record_redemption(
        session,
        ledger_row={
            "coupon_id": coupon.id,
            "template_id": template.id,
            "customer_id": coupon.customer_id,
            "kind": "redeem",
            "idempotency_key": key,
            "order_id": order_id,
            "store_code": basket.store_code,
            "channel_code": basket.channel_code,
            "discount": outcome.discount + outcome.shipping_off,
            "result": result.model_dump(mode="json", exclude={"coupon_status", "replayed"})
            | {"request": fingerprint},
        },
        limited=template.redeem_limit is not None,
        at=now,
    )
    if refused in ("already_used", "replay"):
        # a concurrent request won; if it was this very request retried, replay its answer
        done = _existing(session, coupon.id, "redeem", key)
        if done is not None:
            status = "redeemed" if refused == "already_used" else coupon.status
            return _replay_same(done, status, order_id, fingerprint)
        if refused == "replay":
            raise error_for("duplicate_request", "the request was applied concurrently")
    if refused:
        raise error_for(refused)
    lookup.forget(session, coupon.id, template.id)
    return result


def reverse(
    session: Session, *, code: str, return_id: str, now: datetime | None = None
) -> RedemptionResult:
    """The order was returned: record a negative ledger row and restore the coupon per its rules
    (back to usable when ``restore_on_return`` and still valid, else expired or void)."""
    now = now or utcnow()
    key = normalize_key(return_id)
    coupon, template, done = _load(session, code, kind="reverse", key=key)
    if done is None:
        # the row lock may have waited for this very reversal retried (and the coupon been
        # redeemed again since): a fresh read finds its committed row
        done = _existing(session, coupon.id, "reverse", key)
    if done is not None:
        return _replay(done, coupon.status)
    if coupon.status != "redeemed":
        raise error_for(
            "duplicate_request", f"coupon {coupon.code} is {coupon.status}, not redeemed"
        )
    last = session.scalar(
        select(CouponRedemption)
        .where(CouponRedemption.coupon_id == coupon.id, CouponRedemption.kind == "redeem")
        .order_by(CouponRedemption.id.desc())
        .limit(1)
    )
    assert last is not None
    end = _aware(coupon.valid_until)
    if not template.restore_on_return:
        status = "void"
    elif end is not None and end <= now:
        status = "expired"
    else:
        status = "issued"
    moved = session.execute(
        update(Coupon)
        .where(Coupon.id == coupon.id, Coupon.status == "redeemed")
        .values(
            status=status,
            redeemed_at=None if status == "issued" else coupon.redeemed_at,
            order_id=None if status == "issued" else coupon.order_id,
        )
        .execution_options(synchronize_session=False)
    )
    if not moved.rowcount:  # type: ignore[attr-defined]
        raise error_for("duplicate_request", "the coupon was reversed concurrently")
    session.execute(
        update(CouponTemplate)
        .where(CouponTemplate.id == template.id)
        .values(redeemed_count=CouponTemplate.redeemed_count - 1)
        .execution_options(synchronize_session=False)
    )
    result = RedemptionResult(
        code=coupon.code,
        order_id=last.order_id,
        kind="reverse",
        discount=-last.discount,
        coupon_status=status,
    )
    session.add(
        CouponRedemption(
            coupon_id=coupon.id,
            template_id=template.id,
            customer_id=coupon.customer_id,
            kind="reverse",
            idempotency_key=key,
            order_id=last.order_id,
            store_code=last.store_code,
            channel_code=last.channel_code,
            discount=-last.discount,
            at=now,
            result=result.model_dump(mode="json", exclude={"coupon_status", "replayed"}),
        )
    )
    session.flush()
    lookup.forget(session, coupon.id, template.id)
    return result
