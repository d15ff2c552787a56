"""Console page 促销活动 (``/promotions``): every promotion with its period, state and what
happened so far (flash-sale units sold against the cap and the orders holding them, teams
forming / formed / failed), and a form to create the five kinds a store chain runs: 满减
(spend and save), 折扣 (percentage off), 限时抢购 (flash sale), 捆绑 (bundle) and 拼团 (team
buy). Times are the chain's wall clock; errors are shown in the user's language."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from omniretail.marketing.promotion import lifecycle, service
from omniretail.marketing.promotion.schemas import PromotionCreate
from omniretail.platform import audit
from omniretail.platform.auth.deps import DbSession, principal_from_user
from omniretail.platform.auth.errors import PermissionDenied
from omniretail.platform.console.csrf import CsrfProtected
from omniretail.platform.console.render import error_text, render
from omniretail.platform.console.session import ConsoleUser
from omniretail.platform.db import utcnow
from omniretail.platform.errors import DomainError, InvalidInput
from omniretail.platform.i18n import N_, gettext
from omniretail.platform.timezone import from_wall_clock, to_wall_clock

router = APIRouter(tags=["console"])

# the form's kinds → (the stored kind, the label); 满减 and 折扣 are theme promotions
KINDS = {
    "spend_save": ("holiday", N_("Spend and save")),
    "percent": ("holiday", N_("Percentage off")),
    "flash_sale": ("flash_sale", N_("Flash sale")),
    "bundle": ("bundle", N_("Bundle")),
    "team_buy": ("team_buy", N_("Team buy")),
}
FIELDS = {
    "code": N_("Promotion code"),
    "name": N_("Promotion name"),
    "starts_at": N_("Starts"),
    "ends_at": N_("Ends"),
    "stock_cap": N_("Units at the flash price"),
    "priority": N_("Priority"),
}


def form_kind(promo: Any) -> str:
    if promo.kind == "holiday":
        return "percent" if promo.rules.get("percent") is not None else "spend_save"
    return str(promo.kind)


def _number(form: dict[str, str], key: str, label: str, *, whole: bool = False) -> Any:
    text = form.get(key, "").strip()
    if not text:
        raise InvalidInput(
            f"{key} is required", field=key,
            message=N_("%(field)s is required."), params={"field": gettext(label)},
        )  # fmt: skip
    try:
        return int(text) if whole else str(Decimal(text))
    except (ValueError, InvalidOperation):
        raise InvalidInput(
            f"{key}: {text!r} is not a number", field=key,
            message=N_("%(field)s must be a number."), params={"field": gettext(label)},
        ) from None  # fmt: skip


def _when(form: dict[str, str], key: str) -> datetime:
    text = form.get(key, "").strip()
    try:
        return from_wall_clock(datetime.fromisoformat(text))
    except ValueError:
        raise InvalidInput(
            f"{key}: {text!r} is not a time", field=key,
            message=N_("%(field)s must be a date and time."),
            params={"field": gettext(FIELDS[key])},
        ) from None  # fmt: skip


def promotion_from_form(form: dict[str, str]) -> PromotionCreate:
    kind = form.get("kind", "")
    if kind not in KINDS:
        raise InvalidInput(
            f"unknown kind {kind!r}", field="kind", message=N_("Choose the kind of promotion.")
        )
    rules: dict[str, Any]
    if kind == "spend_save":
        tiers = []
        for part in form.get("tiers", "").replace("，", ",").split(","):
            spend, _, save = part.strip().partition(":")
            if part.strip():
                tiers.append({"spend": spend.strip(), "save": save.strip()})
        rules = {"theme": form.get("name", ""), "tiers": tiers}
    elif kind == "percent":
        rules = {
            "theme": form.get("name", ""),
            "percent": _number(form, "percent", N_("Percent off")),
        }
    elif kind == "bundle":
        items = []
        for part in form.get("items", "").replace("，", ",").split(","):
            sku, _, qty = part.strip().partition(":")
            if part.strip():
                items.append({"sku": sku.strip(), "qty": int(qty) if qty.strip().isdigit() else 1})
        rules = {"items": items, "price": _number(form, "price", N_("Promotional price"))}
    else:
        rules = {
            "sku": form.get("sku", "").strip(),
            "price": _number(form, "price", N_("Promotional price")),
        }
        if kind == "team_buy":
            rules["group_size"] = _number(form, "group_size", N_("Team size"), whole=True)
            rules["time_limit_minutes"] = _number(
                form, "time_limit_minutes", N_("Time to form (minutes)"), whole=True
            )
        elif form.get("per_customer_qty", "").strip():
            rules["per_customer_qty"] = _number(
                form, "per_customer_qty", N_("Units per customer"), whole=True
            )
    categories = [
        c.strip() for c in form.get("categories", "").replace("，", ",").split(",") if c.strip()
    ]
    data: dict[str, Any] = {
        "code": form.get("code", "").strip(),
        "name": form.get("name", "").strip(),
        "kind": KINDS[kind][0],
        "rules": rules,
        "scope": {"include": {"categories": categories}},
        "starts_at": _when(form, "starts_at"),
        "ends_at": _when(form, "ends_at"),
        "stock_cap": form.get("stock_cap", "").strip() or None,
        "stack_with_coupons": not form.get("no_coupons"),
    }
    return PromotionCreate.model_validate(data)


def invalid_text(exc: ValidationError) -> str:
    err = exc.errors()[0]
    name = str(err["loc"][0]) if err["loc"] else ""
    field = gettext(FIELDS[name]) if name in FIELDS else name
    if err["type"] == "value_error" and "ends_at" in str(err["msg"]):
        return gettext("The promotion must end after it starts.")
    if err["type"] == "string_pattern_mismatch":
        return gettext("%(field)s: use letters, digits, . _ or -") % {"field": field}
    if err["type"] in ("missing", "string_too_short"):
        return gettext("%(field)s is required.") % {"field": field}
    return gettext("%(field)s is not valid.") % {"field": field}


def _page(request: Request, db: DbSession, *, status_code: int = 200, **extra: Any) -> Response:
    now = utcnow()
    promos = service.list_promotions(db)
    return render(
        request,
        "promotion/list.html",
        {
            "promotions": promos,
            "figures": service.promotion_figures(db),
            "kinds": KINDS,
            "form_kind": form_kind,
            "now": now,
            "local": lambda dt: f"{to_wall_clock(dt):%Y-%m-%d %H:%M}",
            "state": lambda p: lifecycle.state(p, now),
            "wall": lambda dt: f"{to_wall_clock(dt):%Y-%m-%dT%H:%M}",
            **extra,
        },
        status_code=status_code,
    )


@router.get("/promotions", response_class=HTMLResponse)
def promotions_page(request: Request, user: ConsoleUser, db: DbSession) -> Response:
    q = request.query_params
    return _page(
        request, db, created=q.get("created"), stopped=q.get("stopped"), edited=q.get("edited")
    )


@router.post("/promotions", response_class=HTMLResponse, dependencies=[CsrfProtected])
async def create_promotion(request: Request, user: ConsoleUser, db: DbSession) -> Response:
    principal = principal_from_user(user, db)
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    try:
        if principal.store_codes is not None or not principal.can("write"):
            raise PermissionDenied(
                "promotions are set for the whole chain",
                message=N_("Promotions are created by marketers and admins for the whole chain."),
            )
        data = promotion_from_form(form)
        with db.begin_nested():
            promo = service.create_promotion(db, data=data)
            audit.record(
                db, actor=principal.name, action="promotion.create", object_type="promotion",
                object_id=promo.code, detail=data.model_dump(mode="json"),
            )  # fmt: skip
    except ValidationError as exc:
        return _page(request, db, status_code=422, error=invalid_text(exc), form=form)
    except DomainError as exc:
        return _page(request, db, status_code=exc.status, error=error_text(request, exc), form=form)
    return RedirectResponse(f"/promotions?created={promo.code}", status_code=303)


def _may_change(db: DbSession, user: Any) -> str:
    principal = principal_from_user(user, db)
    if principal.store_codes is not None or not principal.can("write"):
        raise PermissionDenied(
            "promotions are set for the whole chain",
            message=N_("Promotions are changed by marketers and admins for the whole chain."),
        )
    return principal.name


def edit_changes(form: dict[str, str]) -> dict[str, Any]:
    """The edit form's fields as the service's changes (only the fields the form sent)."""
    changes: dict[str, Any] = {}
    if "name" in form:
        changes["name"] = form["name"].strip()
    for key in ("starts_at", "ends_at"):
        if form.get(key, "").strip():
            changes[key] = _when(form, key)
    if form.get("priority", "").strip():
        changes["priority"] = _number(form, "priority", FIELDS["priority"], whole=True)
    if form.get("stock_cap", "").strip():
        changes["stock_cap"] = _number(form, "stock_cap", FIELDS["stock_cap"], whole=True)
    return changes


@router.post(
    "/promotions/{code}/{action}", response_class=HTMLResponse, dependencies=[CsrfProtected]
)
async def change_promotion(
    request: Request, code: str, action: str, user: ConsoleUser, db: DbSession
) -> Response:
    """The row's 编辑 and 停止 (each audited by the service; a refusal names why, in the
    user's language, and changes nothing)."""
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    try:
        actor = _may_change(db, user)
        with db.begin_nested():
            if action == "stop":
                lifecycle.stop_promotion(db, code=code, actor=actor, reason=form.get("reason"))
            elif action == "edit":
                lifecycle.update_promotion(db, code=code, changes=edit_changes(form), actor=actor)
            else:
                return RedirectResponse("/promotions", status_code=303)
    except DomainError as exc:
        return _page(request, db, status_code=exc.status, error=error_text(request, exc))
    done = "stopped" if action == "stop" else "edited"
    return RedirectResponse(f"/promotions?{done}={code}", status_code=303)
