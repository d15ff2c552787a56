"""Console pages: coupon templates (list + create form) and the coupon center view (领券中心)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from omniretail.marketing.coupon import service
from omniretail.marketing.coupon.schemas import TemplateCreate
from omniretail.platform.auth.deps import DbSession
from omniretail.platform.console.csrf import CsrfProtected
from omniretail.platform.console.render import render
from omniretail.platform.console.session import ConsoleUser
from omniretail.platform.errors import DomainError

router = APIRouter(tags=["console"])

KINDS = {
    "percent_off": ("折扣券", "Percent off"),
    "amount_off": ("立减券", "Amount off"),
    "spend_save": ("满减券", "Spend X save Y"),
    "free_gift": ("赠品券", "Free gift"),
    "free_shipping": ("免运费券", "Free delivery"),
    "exchange": ("兑换券", "Exchange"),
}
SCOPE_KEYS = ("channels", "stores", "regions", "categories", "skus")


def _list(value: Any) -> list[str]:
    return [v.strip() for v in str(value or "").replace("，", ",").split(",") if v.strip()]


def _tiers(text: str) -> list[dict[str, str]]:
    """``100:10, 200:40`` -> [{spend: 100, save: 10}, ...]."""
    tiers = []
    for part in _list(text):
        spend, _, save = part.partition(":")
        tiers.append({"spend": spend.strip(), "save": save.strip()})
    return tiers


def template_from_form(form: dict[str, Any]) -> TemplateCreate:
    """The create form's fields as a template (raises ValidationError / DomainError)."""
    kind = form.get("kind", "")
    rules: dict[str, Any] = {}
    if kind == "percent_off":
        rules = {"percent": form.get("percent") or None}
    elif kind == "amount_off":
        rules = {"amount": form.get("amount") or None}
    elif kind == "spend_save":
        rules = {"tiers": _tiers(form.get("tiers", "")), "repeat": bool(form.get("repeat"))}
    elif kind == "free_gift":
        rules = {"gift_sku": form.get("sku") or None, "gift_value": form.get("amount") or "0"}
    elif kind == "exchange":
        rules = {"sku": form.get("sku") or None}
    if form.get("max_discount"):
        rules["max_discount"] = form["max_discount"]
    scope = {
        part: {key: _list(form.get(f"{part}_{key}")) for key in SCOPE_KEYS}
        for part in ("include", "exclude")
    }
    data: dict[str, Any] = {
        "code": form.get("code", "").strip(),
        "name": form.get("name", "").strip(),
        "name_en": form.get("name_en", "").strip() or None,
        "kind": kind,
        "rules": rules,
        "scope": scope,
        "min_spend": form.get("min_spend") or "0",
        "valid_days": form.get("valid_days") or None,
        "valid_until": f"{form['valid_until']}T23:59:59+08:00" if form.get("valid_until") else None,
        "total_limit": form.get("total_limit") or None,
        "per_customer_limit": form.get("per_customer_limit") or None,
        "redeem_limit": form.get("redeem_limit") or None,
        "face_value": form.get("face_value") or "0",
        "budget": form.get("budget") or None,
        "stack_group": form.get("stack_group", "").strip() or None,
        "exclusive": bool(form.get("exclusive")),
        "stack_with_promotions": not form.get("no_promotions"),
        "claimable": bool(form.get("claimable")),
    }
    return TemplateCreate.model_validate(data)


def _page(request: Request, db: DbSession, *, status_code: int = 200, **extra: Any) -> HTMLResponse:
    templates = service.list_templates(db)
    return render(
        request,
        "coupon/templates.html",
        {"templates": templates, "kinds": KINDS, "scope_keys": SCOPE_KEYS, **extra},
        status_code=status_code,
    )


@router.get("/coupons", response_class=HTMLResponse)
def coupons_page(request: Request, user: ConsoleUser, db: DbSession) -> Response:
    return _page(request, db, created=request.query_params.get("created"))


@router.post("/coupons/templates", response_class=HTMLResponse, dependencies=[CsrfProtected])
async def create_template(request: Request, user: ConsoleUser, db: DbSession) -> Response:
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    if user.role not in ("admin", "marketer"):
        return _page(
            request, db, status_code=403, error="only marketers can create coupons", form=form
        )
    try:
        data = template_from_form(form)
        with db.begin_nested():
            created = service.create_template(db, data=data)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"])
        return _page(request, db, status_code=422, error=f"{where}: {err['msg']}", form=form)
    except DomainError as exc:
        message = f"{exc.field}: {exc.detail}" if exc.field else exc.detail
        return _page(request, db, status_code=422, error=message, form=form)
    return RedirectResponse(f"/coupons?created={created.code}", status_code=303)


@router.get("/coupons/center", response_class=HTMLResponse)
def coupon_center_page(
    request: Request, user: ConsoleUser, db: DbSession, customer_id: str | None = None
) -> Response:
    customer = (customer_id or "").strip() or None
    items = service.coupon_center(db, customer_id=customer)
    held = service.customer_coupons(db, customer_id=customer) if customer else []
    return render(
        request,
        "coupon/center.html",
        {"items": items, "customer_id": customer, "held": held, "kinds": KINDS},
    )
