"""``omniretail coupon``: templates from JSON/YAML, issue, validate, redeem, reverse, expire."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer
import yaml
from pydantic import ValidationError

from omniretail.cli._operator import allowed, for_basket, for_coupon, for_customer
from omniretail.platform.errors import InvalidInput

NAME = "coupon"
app = typer.Typer(
    help="Coupons (优惠券): templates, issue, validate, redeem.", no_args_is_help=True
)


def read_doc(path: Path, field: str) -> Any:
    """A JSON or YAML file (by extension; YAML also reads JSON)."""
    try:
        text = path.read_text(encoding="utf-8")
        return json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (OSError, ValueError, yaml.YAMLError) as exc:
        raise InvalidInput(f"cannot read {path}: {exc}", field=field) from exc


def parse(model: Any, data: Any, field: str) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"]) or field
        raise InvalidInput(f"{where}: {err['msg']}", field=where) from exc


def echo(data: Any) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, default=str, indent=None))


@app.command("create-template")
def create_template(
    file: Path = typer.Argument(
        ..., help="Template as JSON or YAML (see docs/marketing-offers.md)"
    ),
) -> None:
    """Create a coupon template (券模板) from a JSON/YAML file; prints it as JSON."""
    from omniretail.marketing.coupon import service
    from omniretail.marketing.coupon.schemas import TemplateCreate, TemplateRead
    from omniretail.platform.db import session_scope

    data = parse(TemplateCreate, read_doc(file, "file"), "file")
    with session_scope() as s:
        allowed(s, "write")
        t = service.create_template(s, data=data)
        echo(TemplateRead.model_validate(t).model_dump(mode="json"))


@app.command("templates")
def templates() -> None:
    """List coupon templates with issued/redeemed counts (JSON lines)."""
    from omniretail.marketing.coupon import service
    from omniretail.marketing.coupon.schemas import TemplateRead
    from omniretail.platform.db import session_scope

    with session_scope() as s:
        allowed(s, "read")
        for t in service.list_templates(s):
            echo(TemplateRead.model_validate(t).model_dump(mode="json"))


@app.command("issue")
def issue(
    template: str = typer.Option(..., "--template", help="Template code."),
    customer: list[str] = typer.Option(None, "--customer", help="Customer id (repeatable)."),
    customers_file: Path = typer.Option(None, "--customers-file", help="One customer id a line."),
    campaign: str = typer.Option(
        None, "--campaign", help="Campaign id: makes the issue idempotent."
    ),
) -> None:
    """Issue coupons: one customer prints the coupon; a list (with --campaign) prints the tally."""
    from omniretail.marketing.coupon import service
    from omniretail.marketing.coupon.schemas import CouponRead
    from omniretail.platform.db import session_scope

    ids = list(customer or [])
    if customers_file is not None:
        ids += [
            ln.strip()
            for ln in customers_file.read_text(encoding="utf-8").splitlines()
            if ln.strip()
        ]
    if not ids:
        raise InvalidInput("give --customer or --customers-file", field="customer")
    with session_scope() as s:
        for i, customer_id in enumerate(ids):  # every one, as the API's issue-batch
            field = "customer" if len(ids) == 1 else f"customer.{i}"
            for_customer(s, "write", customer_id, field=field)
        if len(ids) == 1 and campaign is None:
            c = service.issue(s, template_code=template, customer_id=ids[0])
            echo(CouponRead.model_validate(c).model_dump(mode="json"))
            return
        if campaign is None:
            raise InvalidInput("issuing to several customers needs --campaign", field="campaign")
        echo(
            service.issue_batch(
                s, campaign_id=campaign, customer_ids=ids, template=template
            ).model_dump()
        )


def _basket(path: Path) -> Any:
    from omniretail.marketing.coupon.basket import Basket

    return parse(Basket, read_doc(path, "basket"), "basket")


@app.command("validate")
def validate(
    code: str = typer.Argument(..., help="Coupon code."),
    basket: Path = typer.Option(..., "--basket", help="Basket JSON/YAML."),
) -> None:
    """Would the coupon work on this basket? Prints valid, reason and discount; exit 1 if not."""
    from omniretail.marketing.coupon import redemption
    from omniretail.platform.db import session_scope

    cart = _basket(basket)
    with session_scope() as s:
        for_basket(s, "read", cart.customer_id, cart.store_code)
        v = redemption.validate(s, code=code, basket=cart)
    echo(v.model_dump(mode="json"))
    if not v.valid:
        raise typer.Exit(1)


@app.command("redeem")
def redeem(
    code: str = typer.Argument(..., help="Coupon code."),
    order: str = typer.Option(..., "--order", help="Order id (the idempotency key)."),
    basket: Path = typer.Option(..., "--basket", help="Basket JSON/YAML."),
) -> None:
    """Redeem a coupon on an order, exactly once (rerunning replays the result)."""
    from omniretail.marketing.coupon import redemption
    from omniretail.platform.db import session_scope

    cart = _basket(basket)
    with session_scope() as s:
        for_basket(s, "write", cart.customer_id, cart.store_code)
        r = redemption.redeem(s, code=code, order_id=order, basket=cart)
    echo(r.model_dump(mode="json"))


@app.command("reverse")
def reverse(
    code: str = typer.Argument(..., help="Coupon code."),
    return_id: str = typer.Option(..., "--return", help="Return id (the idempotency key)."),
) -> None:
    """Reverse a redemption after a return; the coupon is restored per its template."""
    from omniretail.marketing.coupon import redemption
    from omniretail.platform.db import session_scope

    with session_scope() as s:
        for_coupon(s, "write", code)
        r = redemption.reverse(s, code=code, return_id=return_id)
    echo(r.model_dump(mode="json"))


@app.command("expire")
def expire() -> None:
    """Batch job: mark coupons past their end as expired."""
    from omniretail.marketing.coupon import service
    from omniretail.platform.db import session_scope

    with session_scope() as s:
        allowed(s, "write")
        n = service.expire_due(s)
    echo({"expired": n})
