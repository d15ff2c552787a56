"""Price a basket: promotions first, then coupons, each discount explained in zh and en.

The order (documented in docs/marketing-offers.md):

1. line prices — flash sale (限时抢购, only while stock lasts) or team-buying price (拼团, for a
   line bought in a team); the lower price wins, one per line;
2. bundles (捆绑) on lines still at list price, best priority first, as many sets as fit;
3. holiday themes (节日主题: percent or 满减 tiers) on lines not yet promoted;
4. coupons, item coupons first (percent_off, amount_off, exchange), then order coupons
   (spend_save), then free delivery, then gifts; ``exclusive`` coupons stand alone, one coupon
   per ``stack_group``, and a coupon with ``stack_with_promotions = false`` (or a line whose
   promotion does not stack with coupons) only counts lines still at list price.

Each discount is allocated to lines in cents (``rules.allocate``), so returns can be refunded
line by line.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from omniretail.marketing.coupon.basket import Basket
from omniretail.marketing.coupon.context import priced_lines, store_region
from omniretail.marketing.coupon.errors import REASONS, CouponError, error_for
from omniretail.marketing.coupon.models import CouponTemplate
from omniretail.marketing.coupon.redemption import check_coupon, explain, find_coupon, redeem
from omniretail.marketing.coupon.rules import (
    Outcome,
    PricedLine,
    allocate,
    line_in_scope,
    money,
    place_reason,
    spend_save_amount,
)
from omniretail.marketing.promotion.models import FlashSaleAllocation, Promotion, TeamBuyGroup
from omniretail.marketing.promotion.schemas import DiscountLine, LineQuote, Quote, RejectedCoupon
from omniretail.marketing.promotion.service import allocate_flash_stock, aware, list_promotions
from omniretail.platform.db import utcnow

COUPON_STAGE = {
    "percent_off": 0,
    "amount_off": 0,
    "exchange": 0,
    "spend_save": 1,
    "free_shipping": 2,
    "free_gift": 3,
}


class _State:
    def __init__(self, lines: list[PricedLine]) -> None:
        self.lines = lines
        self.no_coupon: set[int] = set()  # lines whose promotion does not stack with coupons
        self.discounts: list[DiscountLine] = []
        self.line_discount: dict[int, Decimal] = {i: Decimal("0") for i in range(len(lines))}

    def take(self, allocations: dict[int, Decimal], *, promoted: bool) -> None:
        for i, amount in allocations.items():
            ln = self.lines[i]
            ln.net -= amount
            if promoted:
                ln.promoted = True
            self.line_discount[i] += amount


def _promo_line(promo: Promotion, amount: Decimal, zh: str, en: str) -> DiscountLine:
    return DiscountLine(
        source="promotion", code=promo.code, kind=promo.kind, amount=amount, text_zh=zh, text_en=en
    )


def _line_prices(
    session: Session,
    state: _State,
    basket: Basket,
    promos: list[Promotion],
    now: datetime,
    order_id: str | None = None,
) -> None:
    flash = {str(p.rules["sku"]): p for p in reversed(promos) if p.kind == "flash_sale"}
    for i, (ln, src) in enumerate(zip(state.lines, basket.lines, strict=True)):
        best: tuple[Decimal, Promotion, int] | None = None
        fp = flash.get(ln.sku)
        if fp is not None and fp.stock_cap is not None:
            left = max(fp.stock_cap - fp.stock_sold, 0)
            if order_id is not None:  # a retried checkout keeps the units it already holds
                left += int(
                    session.scalar(
                        select(FlashSaleAllocation.quantity).where(
                            FlashSaleAllocation.promotion_id == fp.id,
                            FlashSaleAllocation.order_id == order_id,
                            FlashSaleAllocation.status == "allocated",
                        )
                    )
                    or 0
                )
            units = min(left, ln.quantity, int(fp.rules.get("per_customer_qty") or ln.quantity))
            price = Decimal(str(fp.rules["price"]))
            if units > 0 and price < ln.unit_price:
                best = ((ln.unit_price - price) * units, fp, units)
        if src.team_buy_group_id is not None:
            group = session.get(TeamBuyGroup, src.team_buy_group_id)
            tp = next((p for p in promos if group and p.id == group.promotion_id), None)
            if (
                group is not None
                and tp is not None
                and str(tp.rules["sku"]) == ln.sku
                and group.status in ("forming", "succeeded")
                and aware(group.expires_at) > now
            ):
                price = Decimal(str(tp.rules["price"]))
                off = (ln.unit_price - price) * ln.quantity
                if off > 0 and (best is None or off > best[0]):
                    best = (off, tp, ln.quantity)
        if best is None:
            continue
        off, promo, units = best
        off = money(min(off, ln.net))
        state.take({i: off}, promoted=True)
        if not promo.stack_with_coupons:
            state.no_coupon.add(i)
        label = "限时抢购" if promo.kind == "flash_sale" else "拼团价"
        label_en = "flash sale" if promo.kind == "flash_sale" else "team-buying price"
        line = _promo_line(
            promo,
            off,
            f"{promo.name}（{label}）：{ln.sku} {units} 件 立减 ¥{off}",
            f"{promo.name_en or promo.name} ({label_en}): {ln.sku} x{units}, ¥{off} off",
        )
        line.units = units if promo.kind == "flash_sale" else None
        state.discounts.append(line)


def _bundles(state: _State, promos: list[Promotion]) -> None:
    for promo in promos:
        if promo.kind != "bundle":
            continue
        items = [(str(it["sku"]), int(it.get("qty", 1))) for it in promo.rules["items"]]
        where: dict[str, int] = {}
        for sku, _ in items:
            idx = next(
                (i for i, ln in enumerate(state.lines) if ln.sku == sku and not ln.promoted), None
            )
            if idx is None:
                break
            where[sku] = idx
        if len(where) != len(items):
            continue
        sets = min(state.lines[where[sku]].quantity // qty for sku, qty in items)
        if sets <= 0:
            continue
        list_value = {
            where[sku]: state.lines[where[sku]].unit_price * qty * sets for sku, qty in items
        }
        off = money(
            sum(list_value.values(), Decimal("0")) - Decimal(str(promo.rules["price"])) * sets
        )
        if off <= 0:
            continue
        state.take(allocate(off, list_value), promoted=True)
        if not promo.stack_with_coupons:
            state.no_coupon.update(list_value)
        state.discounts.append(
            _promo_line(
                promo,
                off,
                f"{promo.name}（捆绑）：{sets} 套 立减 ¥{off}",
                f"{promo.name_en or promo.name} (bundle): {sets} set(s), ¥{off} off",
            )
        )


def _holidays(state: _State, basket: Basket, region: str | None, promos: list[Promotion]) -> None:
    for promo in promos:
        if promo.kind != "holiday":
            continue
        if place_reason(
            promo.scope,
            store_code=basket.store_code,
            channel_code=basket.channel_code,
            region_code=region,
        ):
            continue
        weights = {
            i: ln.net
            for i, ln in enumerate(state.lines)
            if not ln.promoted and ln.net > 0 and line_in_scope(promo.scope, ln)
        }
        base = sum(weights.values(), Decimal("0"))
        if base <= 0:
            continue
        if promo.rules.get("percent") is not None:
            off = money(base * Decimal(str(promo.rules["percent"])) / 100)
        else:
            off = spend_save_amount(promo.rules, base)
        off = min(off, base)
        if off <= 0:
            continue
        state.take(allocate(off, weights), promoted=True)
        if not promo.stack_with_coupons:
            state.no_coupon.update(weights)
        theme = promo.rules.get("theme", "")
        state.discounts.append(
            _promo_line(
                promo,
                off,
                f"{promo.name}（{theme}）：立减 ¥{off}",
                f"{promo.name_en or promo.name} ({theme}): ¥{off} off",
            )
        )


def _coupons(
    session: Session,
    state: _State,
    basket: Basket,
    region: str | None,
    codes: list[str],
    now: datetime,
    order_id: str | None = None,
) -> tuple[list[RejectedCoupon], Decimal, list[str]]:
    """Apply the coupons in stage order. With ``order_id`` each one is redeemed (checkout) and
    any problem raises, so the caller's transaction rolls everything back."""
    rejected: list[RejectedCoupon] = []
    found: list[tuple[int, str, Any, CouponTemplate]] = []
    for code in dict.fromkeys(codes):
        try:
            coupon = find_coupon(session, code)
        except CouponError as exc:
            if order_id is not None:
                raise
            rejected.append(_reject(code, exc))
            continue
        template = session.get(CouponTemplate, coupon.template_id)
        assert template is not None
        found.append((COUPON_STAGE[template.kind], coupon.code, coupon, template))
    found.sort(key=lambda f: (f[0], -int(f[3].exclusive)))
    used_groups: set[str] = set()
    exclusive_used = False
    shipping_off = Decimal("0")
    gifts: list[str] = []
    applied: list[str] = []
    for _, code, coupon, template in found:
        try:
            if exclusive_used or (template.exclusive and applied):
                raise error_for("not_stackable", "an exclusive coupon cannot be combined")
            if template.stack_group and template.stack_group in used_groups:
                raise error_for("not_stackable", f"one coupon of group {template.stack_group}")
            view = [
                replace(ln, net=Decimal("0")) if i in state.no_coupon else replace(ln)
                for i, ln in enumerate(state.lines)
            ]
            if order_id is None:
                outcome = check_coupon(
                    coupon,
                    template,
                    customer_id=basket.customer_id,
                    store_code=basket.store_code,
                    channel_code=basket.channel_code,
                    region_code=region,
                    lines=view,
                    shipping_fee=basket.shipping_fee - shipping_off,
                    now=now,
                )
            else:
                done = redeem(
                    session,
                    code=code,
                    order_id=order_id,
                    basket=basket.model_copy(
                        update={"shipping_fee": basket.shipping_fee - shipping_off}
                    ),
                    lines=view,
                    now=now,
                )
                outcome = Outcome(
                    done.discount,
                    {int(k): Decimal(v) for k, v in done.line_discounts.items()},
                    shipping_off=done.shipping_off,
                    gift_sku=done.gift_sku,
                )
        except CouponError as exc:
            if order_id is not None:
                raise
            rejected.append(_reject(code, exc))
            continue
        state.take(outcome.allocations, promoted=False)
        shipping_off += outcome.shipping_off
        if outcome.gift_sku:
            gifts.append(outcome.gift_sku)
        if template.stack_group:
            used_groups.add(template.stack_group)
        exclusive_used = exclusive_used or template.exclusive
        applied.append(code)
        zh, en = explain(template, outcome)
        state.discounts.append(
            DiscountLine(
                source="coupon",
                code=code,
                kind=template.kind,
                amount=outcome.discount,
                shipping_off=outcome.shipping_off,
                gift_sku=outcome.gift_sku,
                text_zh=zh,
                text_en=en,
            )
        )
    return rejected, shipping_off, gifts


def _reject(code: str, exc: CouponError) -> RejectedCoupon:
    return RejectedCoupon(
        code=code, reason=exc.reason, detail=exc.detail, detail_zh=REASONS[exc.reason][0]
    )


def price_basket(
    session: Session,
    *,
    basket: Basket,
    coupon_codes: list[str] | None = None,
    now: datetime | None = None,
) -> Quote:
    """The price of a basket with every applicable promotion and the given coupons."""
    return _price(session, basket=basket, coupon_codes=coupon_codes, now=now or utcnow())


def checkout(
    session: Session,
    *,
    basket: Basket,
    order_id: str,
    coupon_codes: list[str] | None = None,
    now: datetime | None = None,
) -> Quote:
    """Price the basket and commit to it for ``order_id``: flash-sale units are allocated and the
    coupons redeemed (both idempotent by the order id, so a retried checkout changes nothing).
    Any problem raises and nothing is half-applied once the caller rolls back."""
    now = now or utcnow()
    quote = _price(session, basket=basket, coupon_codes=coupon_codes, now=now, order_id=order_id)
    for d in quote.discounts:
        if d.kind == "flash_sale" and d.units:
            allocate_flash_stock(
                session,
                code=d.code,
                order_id=order_id,
                quantity=d.units,
                customer_id=basket.customer_id,
                now=now,
            )
    return quote


def _price(
    session: Session,
    *,
    basket: Basket,
    coupon_codes: list[str] | None,
    now: datetime,
    order_id: str | None = None,
) -> Quote:
    region = basket.region_code or store_region(session, basket.store_code)
    promos = [
        p
        for p in list_promotions(session, active_at=now)
        if p.kind == "holiday"
        or not place_reason(
            p.scope,
            store_code=basket.store_code,
            channel_code=basket.channel_code,
            region_code=region,
        )
    ]
    state = _State(priced_lines(session, basket))
    before = [replace(ln) for ln in state.lines]
    _line_prices(session, state, basket, promos, now, order_id)
    _bundles(state, promos)
    _holidays(state, basket, region, promos)
    rejected, shipping_off, gifts = _coupons(
        session, state, basket, region, list(coupon_codes or []), now, order_id
    )
    lines = [
        LineQuote(
            sku=b.sku,
            quantity=b.quantity,
            unit_price=b.unit_price,
            amount=b.net,
            discount=state.line_discount[i],
            payable=state.lines[i].net,
        )
        for i, b in enumerate(before)
    ]
    subtotal = sum((b.net for b in before), Decimal("0"))
    discount_total = sum(state.line_discount.values(), Decimal("0"))
    quote = Quote(
        lines=lines,
        discounts=state.discounts,
        rejected_coupons=rejected,
        subtotal=subtotal,
        discount_total=discount_total,
        shipping_fee=basket.shipping_fee,
        shipping_off=shipping_off,
        payable=subtotal - discount_total + basket.shipping_fee - shipping_off,
        gifts=gifts,
    )
    return quote
