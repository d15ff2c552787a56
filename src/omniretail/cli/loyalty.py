"""``omniretail loyalty``: points (积分) and tiers (会员等级)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

import typer

from omniretail.cli._operator import allowed, for_customer
from omniretail.cli.coupon import echo, parse, read_doc
from omniretail.platform.errors import InvalidInput

NAME = "loyalty"
app = typer.Typer(help="Loyalty (会员积分与等级): points ledger and tiers.", no_args_is_help=True)


def _amount(text: str) -> Decimal:
    try:
        return Decimal(text)
    except InvalidOperation as exc:
        raise InvalidInput(f"amount {text!r} is not a number", field="amount") from exc


def _when(text: str | None) -> datetime:
    from omniretail.platform.db import utcnow

    if text is None:
        return utcnow()
    try:
        at = datetime.fromisoformat(text)
    except ValueError as exc:
        raise InvalidInput(f"{text!r} is not an ISO date-time", field="at") from exc
    if at.tzinfo is None:
        raise InvalidInput("give the time zone, e.g. 2026-05-01T10:00:00+08:00", field="at")
    return at


@app.command("create-tier")
def create_tier(file: Path = typer.Argument(..., help="Tier as JSON or YAML.")) -> None:
    """Create a member tier (会员等级)."""
    from omniretail.marketing.loyalty import service
    from omniretail.marketing.loyalty.schemas import TierCreate, TierRead
    from omniretail.platform.db import session_scope

    data = parse(TierCreate, read_doc(file, "file"), "file")
    with session_scope() as s:
        allowed(s, "admin")
        echo(TierRead.model_validate(service.create_tier(s, data=data)).model_dump(mode="json"))


@app.command("earn")
def earn(
    customer: str = typer.Option(..., "--customer"),
    source: str = typer.Option(..., "--source", help="Channel code of the order (pos, tmall...)."),
    order: str = typer.Option(
        ..., "--order", help="Order id; with the source, the idempotency key."
    ),
    amount: str = typer.Option(..., "--amount", help="Paid amount in yuan."),
    at: str = typer.Option(None, "--at", help="When the order was placed (ISO, with zone)."),
) -> None:
    """Points for an order (once per source and order id)."""
    from omniretail.marketing.loyalty import service
    from omniretail.platform.db import session_scope

    with session_scope() as s:
        for_customer(s, "write", customer)
        r = service.earn(
            s,
            customer_id=customer,
            source=source,
            order_id=order,
            amount=_amount(amount),
            occurred_at=_when(at),
        )
    echo(r.model_dump(mode="json"))


@app.command("redeem")
def redeem(
    customer: str = typer.Option(..., "--customer"),
    points: int = typer.Option(..., "--points"),
    ref: str = typer.Option(..., "--ref", help="Redemption id (idempotency key)."),
) -> None:
    """Spend points, oldest expiry first."""
    from omniretail.marketing.loyalty import ledger
    from omniretail.platform.db import session_scope

    with session_scope() as s:
        for_customer(s, "write", customer)
        echo(
            ledger.redeem_points(s, customer_id=customer, points=points, ref=ref).model_dump(
                mode="json"
            )
        )


@app.command("adjust")
def adjust(
    customer: str = typer.Option(..., "--customer"),
    points: int = typer.Option(..., "--points", help="Signed."),
    ref: str = typer.Option(..., "--ref"),
    note: str = typer.Option(..., "--note", help="Why (kept in the ledger)."),
) -> None:
    """A manual correction."""
    from omniretail.marketing.loyalty import ledger
    from omniretail.platform.db import session_scope

    with session_scope() as s:
        for_customer(s, "admin", customer)
        r = ledger.adjust_points(s, customer_id=customer, points=points, ref=ref, note=note)
    echo(r.model_dump(mode="json"))


@app.command("reverse")
def reverse(
    customer: str = typer.Option(..., "--customer"),
    source: str = typer.Option(..., "--source"),
    order: str = typer.Option(..., "--order"),
    return_id: str = typer.Option(..., "--return"),
    amount: str = typer.Option(..., "--amount", help="Amount returned."),
) -> None:
    """Take back points for a (partial) return, in proportion."""
    from omniretail.marketing.loyalty import ledger
    from omniretail.platform.db import session_scope

    with session_scope() as s:
        for_customer(s, "write", customer)
        r = ledger.reverse_earn(
            s,
            customer_id=customer,
            source=source,
            order_id=order,
            return_id=return_id,
            returned_amount=_amount(amount),
        )
    echo(r.model_dump(mode="json"))


@app.command("account")
def account(customer: str = typer.Argument(...)) -> None:
    """Balance (verified against the entries), tier and buckets."""
    from omniretail.marketing.loyalty import service
    from omniretail.platform.db import session_scope

    with session_scope() as s:
        for_customer(s, "read", customer)
        echo(service.account_view(s, customer_id=customer).model_dump(mode="json"))


@app.command("expire")
def expire() -> None:
    """Batch job: expire points past their date (FIFO buckets)."""
    from omniretail.marketing.loyalty import service
    from omniretail.platform.db import session_scope

    with session_scope() as s:
        allowed(s, "write")
        echo(service.expire_all(s))


@app.command("review-tiers")
def review_tiers() -> None:
    """Batch job: upgrade/downgrade every member by the rolling window."""
    from omniretail.marketing.loyalty import service
    from omniretail.platform.db import session_scope

    with session_scope() as s:
        allowed(s, "write")
        echo(service.review_all_tiers(s))


@app.command("birthday-coupons")
def birthday_coupons(
    today: str = typer.Option(None, "--today", help="YYYY-MM-DD (default: today)."),
) -> None:
    """Issue each tier's birthday coupon to members born this month (once a year)."""
    from omniretail.marketing.loyalty import service
    from omniretail.platform.db import session_scope

    try:
        day = date.fromisoformat(today) if today else date.today()  # noqa: DTZ011
    except ValueError as exc:
        raise InvalidInput(f"{today!r} is not a date (YYYY-MM-DD)", field="today") from exc
    with session_scope() as s:
        allowed(s, "write")
        echo([r.model_dump() for r in service.birthday_coupons(s, today=day)])
