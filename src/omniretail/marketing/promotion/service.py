"""Promotions: creation, flash-sale stock allocation (never oversold) and team buying (拼团).

Flash-sale stock moves by ``UPDATE promotion SET stock_sold = stock_sold + q WHERE stock_sold +
q <= stock_cap``: the first statement of an allocation, so it also takes the promotion row lock
(PostgreSQL) or the write lock (SQLite) under which the per-customer limit is then checked.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from omniretail.marketing.promotion.errors import (
    PromotionInvalid,
    PromotionNotFound,
    SoldOut,
    TeamBuyClosed,
)
from omniretail.marketing.promotion.models import (
    FlashSaleAllocation,
    Promotion,
    TeamBuyGroup,
    TeamBuyMember,
)
from omniretail.marketing.promotion.schemas import PromotionCreate
from omniretail.platform.db import utcnow
from omniretail.platform.i18n import N_


def aware(dt: datetime) -> datetime:
    return dt if dt.tzinfo is not None else dt.replace(tzinfo=UTC)


RULE_MESSAGES = {  # the console's words for each problem of a promotion's rules
    "required": N_("This promotion needs %(what)s."),
    "price": N_("The promotional price must not be negative."),
    "stock_cap": N_("A flash sale needs the number of units at the flash price."),
    "items": N_("Each item of a bundle needs a SKU and a positive quantity."),
    "units": N_("A bundle needs at least two units."),
    "team": N_("A team needs at least 2 people and a positive time limit."),
    "holiday": N_("Give a percentage off or spend-and-save tiers."),
    "percent": N_("The percentage off must be between 0 and 100."),
    "numbers": N_("The rules need numbers where numbers are expected."),
}


def _rules_problem(
    kind: str, rules: dict[str, Any], stock_cap: int | None
) -> tuple[str, str, dict[str, Any]] | None:
    """(English detail, message key, params) of the first problem of the rules, or None."""
    need = {
        "flash_sale": ["sku", "price"],
        "bundle": ["items", "price"],
        "team_buy": ["sku", "price", "group_size", "time_limit_minutes"],
        "holiday": ["theme"],
    }[kind]
    for key in need:
        if rules.get(key) in (None, "", []):
            return f"rules.{key} is required for a {kind} promotion", "required", {"what": key}
    try:
        if kind in ("flash_sale", "bundle", "team_buy") and Decimal(str(rules["price"])) < 0:
            return "rules.price must not be negative", "price", {}
        if kind == "flash_sale" and stock_cap is None:
            return "a flash sale needs stock_cap (units at the flash price)", "stock_cap", {}
        if kind == "bundle":
            for item in rules["items"]:
                if not item.get("sku") or int(item.get("qty", 1)) <= 0:
                    return "rules.items: each item needs a sku and a positive qty", "items", {}
            if len(rules["items"]) < 2 and int(rules["items"][0].get("qty", 1)) < 2:
                return "a bundle needs at least two units", "units", {}
        if kind == "team_buy" and (
            int(rules["group_size"]) < 2 or int(rules["time_limit_minutes"]) <= 0
        ):
            return (
                "rules.group_size must be >= 2 and rules.time_limit_minutes positive",
                "team",
                {},
            )
        if kind == "holiday":
            if rules.get("percent") is None and not rules.get("tiers"):
                return "a holiday promotion needs rules.percent or rules.tiers", "holiday", {}
            if rules.get("percent") is not None and not 0 < Decimal(str(rules["percent"])) < 100:
                return "rules.percent must be between 0 and 100", "percent", {}
    except (KeyError, TypeError, ValueError, ArithmeticError):
        return "rules: numbers expected", "numbers", {}
    return None


def create_promotion(session: Session, *, data: PromotionCreate) -> Promotion:
    problem = _rules_problem(data.kind, data.rules, data.stock_cap)
    if problem:
        detail, key, params = problem
        raise PromotionInvalid(detail, field="rules", message=RULE_MESSAGES[key], params=params)
    if session.scalar(select(Promotion.id).where(Promotion.code == data.code)):
        raise PromotionInvalid(
            f"a promotion {data.code!r} already exists",
            field="code",
            message=N_("A promotion with the code %(code)s already exists."),
            params={"code": data.code},
        )
    promo = Promotion(
        **data.model_dump(mode="python", exclude={"rules", "scope"}),
        rules=data.model_dump(mode="json")["rules"],
        scope=data.scope.model_dump(mode="json"),
        stock_sold=0,
        status="active",
    )
    # in UTC: SQLite keeps no offset, and a wall-clock +08:00 instant read back as UTC moved it
    promo.starts_at = data.starts_at.astimezone(UTC)
    promo.ends_at = data.ends_at.astimezone(UTC)
    session.add(promo)
    session.flush()
    return promo


def get_promotion(session: Session, *, code: str) -> Promotion:
    promo = session.scalar(select(Promotion).where(Promotion.code == code))
    if promo is None:
        raise PromotionNotFound(f"no promotion {code!r}", field="code")
    return promo


def list_promotions(session: Session, *, active_at: datetime | None = None) -> list[Promotion]:
    q = select(Promotion).order_by(Promotion.priority.desc(), Promotion.id)
    if active_at is not None:
        q = q.where(
            Promotion.status == "active",
            Promotion.starts_at <= active_at,
            Promotion.ends_at > active_at,
        )
    return list(session.scalars(q))


def allocate_flash_stock(
    session: Session,
    *,
    code: str,
    order_id: str,
    quantity: int,
    customer_id: str | None = None,
    now: datetime | None = None,
) -> FlashSaleAllocation:
    """Hold ``quantity`` flash-sale units for an order. Idempotent by (promotion, order)."""
    now = now or utcnow()
    promo = get_promotion(session, code=code)
    if promo.kind != "flash_sale":
        raise PromotionInvalid(f"{code!r} is not a flash sale", field="code")
    if not (aware(promo.starts_at) <= now < aware(promo.ends_at)) or promo.status != "active":
        raise SoldOut(f"flash sale {code!r} is not running now", field="code", reason="not_running")
    assert promo.stock_cap is not None
    moved = session.execute(
        update(Promotion)
        .where(Promotion.id == promo.id, Promotion.stock_sold + quantity <= promo.stock_cap)
        .values(stock_sold=Promotion.stock_sold + quantity)
        .execution_options(synchronize_session=False)
    )
    # from here on we hold the promotion row: the checks below see every earlier allocation
    done = session.scalar(
        select(FlashSaleAllocation).where(
            FlashSaleAllocation.promotion_id == promo.id, FlashSaleAllocation.order_id == order_id
        )
    )
    if done is not None:
        if moved.rowcount:  # type: ignore[attr-defined]
            _give_back(session, promo.id, quantity)
        if done.quantity != quantity:
            raise SoldOut(
                f"order {order_id} already holds {done.quantity} unit(s)", field="quantity"
            )
        return done
    if not moved.rowcount:  # type: ignore[attr-defined]
        raise SoldOut(f"flash sale {code!r} is sold out", field="quantity", reason="sold_out")
    limit = promo.rules.get("per_customer_qty")
    if limit is not None and customer_id is not None:
        held = session.scalar(
            select(func.coalesce(func.sum(FlashSaleAllocation.quantity), 0)).where(
                FlashSaleAllocation.promotion_id == promo.id,
                FlashSaleAllocation.customer_id == customer_id,
                FlashSaleAllocation.status == "allocated",
            )
        )
        if int(held or 0) + quantity > int(limit):
            _give_back(session, promo.id, quantity)
            raise SoldOut(
                f"at most {limit} unit(s) per customer", field="quantity", reason="customer_limit"
            )
    alloc = FlashSaleAllocation(
        promotion_id=promo.id,
        order_id=order_id,
        customer_id=customer_id,
        quantity=quantity,
        status="allocated",
        at=now,
    )
    session.add(alloc)
    session.flush()
    session.expire(promo, ["stock_sold"])
    return alloc


def _give_back(session: Session, promotion_id: int, quantity: int) -> None:
    session.execute(
        update(Promotion)
        .where(Promotion.id == promotion_id)
        .values(stock_sold=Promotion.stock_sold - quantity)
        .execution_options(synchronize_session=False)
    )


def release_flash_stock(session: Session, *, code: str, order_id: str) -> FlashSaleAllocation:
    """The order was cancelled: its units go back on sale (once, however often retried)."""
    promo = get_promotion(session, code=code)
    released = session.execute(
        update(FlashSaleAllocation)
        .where(
            FlashSaleAllocation.promotion_id == promo.id,
            FlashSaleAllocation.order_id == order_id,
            FlashSaleAllocation.status == "allocated",
        )
        .values(status="released")
        .returning(FlashSaleAllocation.quantity)
        .execution_options(synchronize_session=False)
    ).all()
    if released:
        _give_back(session, promo.id, int(released[0][0]))
    alloc = session.scalar(
        select(FlashSaleAllocation)
        .where(
            FlashSaleAllocation.promotion_id == promo.id, FlashSaleAllocation.order_id == order_id
        )
        .execution_options(populate_existing=True)
    )
    if alloc is None:
        raise PromotionNotFound(f"order {order_id} holds no {code!r} stock", field="order_id")
    session.flush()
    session.expire(promo, ["stock_sold"])
    return alloc


# --- team buying (拼团) ---------------------------------------------------------------------


def open_team(
    session: Session,
    *,
    code: str,
    customer_id: str,
    order_id: str,
    paid_amount: Decimal,
    now: datetime | None = None,
) -> TeamBuyGroup:
    """A leader opens a team (开团) and pays; the team has ``time_limit_minutes`` to fill."""
    now = now or utcnow()
    promo = get_promotion(session, code=code)
    if promo.kind != "team_buy":
        raise PromotionInvalid(f"{code!r} is not a team-buying promotion", field="code")
    if not (aware(promo.starts_at) <= now < aware(promo.ends_at)):
        raise TeamBuyClosed(f"team buying {code!r} is not running now", field="code")
    existing = session.scalar(
        select(TeamBuyGroup)
        .join(TeamBuyMember, TeamBuyMember.group_id == TeamBuyGroup.id)
        .where(TeamBuyGroup.promotion_id == promo.id, TeamBuyMember.order_id == order_id)
    )
    if existing is not None:  # a retried "open" for the same order
        return existing
    group = TeamBuyGroup(
        promotion_id=promo.id,
        leader_customer_id=customer_id,
        group_size=int(promo.rules["group_size"]),
        member_count=1,
        status="forming",
        opened_at=now,
        expires_at=min(
            now + timedelta(minutes=int(promo.rules["time_limit_minutes"])), aware(promo.ends_at)
        ),
    )
    session.add(group)
    session.flush()
    session.add(
        TeamBuyMember(
            group_id=group.id,
            customer_id=customer_id,
            order_id=order_id,
            role="leader",
            paid_amount=paid_amount,
            status="joined",
            joined_at=now,
        )
    )
    session.flush()
    return group


def join_team(
    session: Session,
    *,
    group_id: int,
    customer_id: str,
    order_id: str,
    paid_amount: Decimal,
    now: datetime | None = None,
) -> TeamBuyGroup:
    """A member joins (参团). The last seat flips the team to succeeded (成团)."""
    now = now or utcnow()
    moved = session.execute(
        update(TeamBuyGroup)
        .where(
            TeamBuyGroup.id == group_id,
            TeamBuyGroup.status == "forming",
            TeamBuyGroup.member_count < TeamBuyGroup.group_size,
            TeamBuyGroup.expires_at > now,
        )
        .values(member_count=TeamBuyGroup.member_count + 1)
        .execution_options(synchronize_session=False)
    )
    group = session.scalar(
        select(TeamBuyGroup)
        .where(TeamBuyGroup.id == group_id)
        .execution_options(populate_existing=True)
    )
    if group is None:
        raise PromotionNotFound(f"no team {group_id}", field="group_id")
    mine = session.scalar(
        select(TeamBuyMember).where(
            TeamBuyMember.group_id == group_id, TeamBuyMember.customer_id == customer_id
        )
    )
    if mine is not None:
        if moved.rowcount:  # type: ignore[attr-defined]
            _leave_seat(session, group)
        if mine.order_id == order_id:
            return group  # retried join
        raise TeamBuyClosed(f"{customer_id} is already in team {group_id}", field="customer_id")
    if not moved.rowcount:  # type: ignore[attr-defined]
        why = "expired" if aware(group.expires_at) <= now else group.status
        if group.status == "forming" and group.member_count >= group.group_size:
            why = "full"
        raise TeamBuyClosed(f"team {group_id} cannot be joined: {why}", field="group_id")
    session.add(
        TeamBuyMember(
            group_id=group_id,
            customer_id=customer_id,
            order_id=order_id,
            role="member",
            paid_amount=paid_amount,
            status="joined",
            joined_at=now,
        )
    )
    if group.member_count >= group.group_size:
        group.status = "succeeded"
        group.closed_at = now
        session.execute(
            update(TeamBuyMember)
            .where(TeamBuyMember.group_id == group_id)
            .values(status="confirmed")
            .execution_options(synchronize_session=False)
        )
    session.flush()
    return group


def _leave_seat(session: Session, group: TeamBuyGroup) -> None:
    session.execute(
        update(TeamBuyGroup)
        .where(TeamBuyGroup.id == group.id)
        .values(member_count=TeamBuyGroup.member_count - 1)
        .execution_options(synchronize_session=False)
    )
    session.refresh(group)


def close_expired_teams(session: Session, *, now: datetime | None = None) -> dict[str, int]:
    """Batch job: teams still forming at their deadline fail; their members become refund_due."""
    now = now or utcnow()
    failed = session.scalars(
        update(TeamBuyGroup)
        .where(TeamBuyGroup.status == "forming", TeamBuyGroup.expires_at <= now)
        .values(status="failed", closed_at=now)
        .returning(TeamBuyGroup.id)
        .execution_options(synchronize_session=False)
    ).all()
    for obj in list(session.identity_map.values()):
        if isinstance(obj, TeamBuyGroup | TeamBuyMember) and (
            getattr(obj, "id", None) in failed or getattr(obj, "group_id", None) in failed
        ):
            session.expire(obj)
    members = 0
    if failed:
        res = session.execute(
            update(TeamBuyMember)
            .where(TeamBuyMember.group_id.in_(failed), TeamBuyMember.status == "joined")
            .values(status="refund_due")
            .execution_options(synchronize_session=False)
        )
        members = int(res.rowcount)  # type: ignore[attr-defined]
    session.flush()
    return {"teams_failed": len(failed), "members_to_refund": members}


def refunds_due(session: Session) -> list[TeamBuyMember]:
    """Members of failed teams whose payment must be returned (by the order domain)."""
    return list(
        session.scalars(
            select(TeamBuyMember)
            .where(TeamBuyMember.status == "refund_due")
            .order_by(TeamBuyMember.id)
        )
    )


def mark_refunded(session: Session, *, group_id: int, order_id: str) -> TeamBuyMember:
    member = session.scalar(
        select(TeamBuyMember).where(
            TeamBuyMember.group_id == group_id, TeamBuyMember.order_id == order_id
        )
    )
    if member is None:
        raise PromotionNotFound(f"no order {order_id} in team {group_id}", field="order_id")
    if member.status not in ("refund_due", "refunded"):
        raise TeamBuyClosed(f"order {order_id} is {member.status}, no refund due", field="order_id")
    member.status = "refunded"
    session.flush()
    return member


def promotion_figures(session: Session) -> dict[int, dict[str, int]]:
    """Per promotion what happened so far: flash-sale orders holding units, teams by status."""
    out: dict[int, dict[str, int]] = {}
    for pid, n in session.execute(
        select(FlashSaleAllocation.promotion_id, func.count())
        .where(FlashSaleAllocation.status == "allocated")
        .group_by(FlashSaleAllocation.promotion_id)
    ):
        out.setdefault(pid, {})["orders"] = int(n)
    for pid, status, n in session.execute(
        select(TeamBuyGroup.promotion_id, TeamBuyGroup.status, func.count()).group_by(
            TeamBuyGroup.promotion_id, TeamBuyGroup.status
        )
    ):
        out.setdefault(pid, {})[f"teams_{status}"] = int(n)
    return out
