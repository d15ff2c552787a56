"""Console pages: loyalty overview (tiers, and a form to add one) and a member's points ledger
(积分流水) with the two manual moves a service desk needs: adjust points and set the tier,
each with a reason (audited)."""

from __future__ import annotations

import secrets
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from omniretail.cdp.profile.service import require_visible_customer
from omniretail.marketing.loyalty import rules as points_rules
from omniretail.marketing.loyalty import service
from omniretail.marketing.loyalty.errors import LoyaltyNotFound
from omniretail.marketing.loyalty.schemas import MAX_POINTS, TierCreate
from omniretail.omnichannel.channel import service as channel_service
from omniretail.platform import audit
from omniretail.platform.auth.deps import DbSession, Principal, principal_from_user
from omniretail.platform.auth.errors import PermissionDenied
from omniretail.platform.console.csrf import CsrfProtected
from omniretail.platform.console.locale import request_locale
from omniretail.platform.console.render import error_text, render
from omniretail.platform.console.session import ConsoleUser
from omniretail.platform.errors import DomainError, InvalidInput, NotFound
from omniretail.platform.i18n import N_, gettext

router = APIRouter(tags=["console"])

TIER_FIELDS = {
    "code": N_("Tier code"),
    "name": N_("Chinese name"),
    "name_en": N_("English name"),
    "rank": N_("Rank"),
    "min_points": N_("Points to enter"),
    "min_spend": N_("Or spend to enter"),
    "window_days": N_("Window (days)"),
    "earn_multiplier": N_("Earn multiplier"),
    "birthday_multiplier": N_("Birthday multiplier"),
    "benefits": N_("Benefits"),
}
PROBLEMS = {
    "missing": N_("is required"),
    "string_too_short": N_("is required"),
    "string_too_long": N_("is too long"),
    "int_parsing": N_("must be a whole number"),
    "int_from_float": N_("must be a whole number"),
    "decimal_parsing": N_("must be a number"),
    "greater_than": N_("must be more than %(limit)s"),
    "greater_than_equal": N_("must be at least %(limit)s"),
    "less_than_equal": N_("must be at most %(limit)s"),
    "decimal_max_places": N_("has too many decimals"),
    "extra_forbidden": N_("is not a tier setting"),
}


def invalid_text(exc: ValidationError) -> str:
    """The first problem of a form, in the user's language: 积分倍数：须大于 0."""
    err = exc.errors()[0]
    name = str(err["loc"][0]) if err["loc"] else ""
    field = gettext(TIER_FIELDS[name]) if name in TIER_FIELDS else name
    ctx = err.get("ctx") or {}
    limit = ctx.get("gt", ctx.get("ge", ctx.get("le", "")))
    problem = PROBLEMS.get(err["type"])
    text = gettext(problem) % {"limit": limit} if problem else str(err["msg"])
    return gettext("%(field)s: %(problem)s") % {"field": field, "problem": text}


def _require_write(principal: Principal) -> None:
    if not principal.can("write"):
        raise PermissionDenied(
            "changing tiers and points needs the write right",
            message=N_("Your role may look, not change tiers or points."),
        )


def _overview(request: Request, db: DbSession, *, status_code: int = 200, **extra: Any) -> Response:
    rules = points_rules.current(db)
    zh = request_locale(request) == "zh_CN"
    channels = {
        c.code: (c.name if zh else c.name_en) for c in channel_service.list_channels(db)
    }
    return render(
        request,
        "loyalty/overview.html",
        {
            "tiers": service.tiers(db),
            "summary": service.summary(db),
            "rules": rules,
            "rules_channels": ", ".join(f"{k}:{v}" for k, v in sorted(rules.channel_rates.items())),
            "channel_names": channels,
            **extra,
        },
        status_code=status_code,
    )


def rules_from_form(form: dict[str, str]) -> points_rules.Rules:
    """The rules form's fields checked (``channel_rates``: ``code:rate`` pairs)."""
    rates: dict[str, str] = {}
    for part in form.get("channel_rates", "").replace("，", ",").replace("：", ":").split(","):
        if not part.strip():
            continue
        code, sep, rate = part.strip().partition(":")
        if not sep:
            raise InvalidInput(
                f"channel_rates: {part.strip()!r} is not channel:rate",
                field="channel_rates",
                message=N_("Write each channel's rate as channel:points per yuan, e.g. pos:1."),
            )
        rates[code.strip()] = rate.strip()
    return points_rules.validate(
        base_rate=form.get("base_rate", ""),
        channel_rates=rates,
        expiry_days=form.get("expiry_days", ""),
        max_points_per_order=form.get("max_points_per_order", "").strip() or None,
    )


@router.post("/loyalty/rules", response_class=HTMLResponse, dependencies=[CsrfProtected])
async def set_points_rules(request: Request, user: ConsoleUser, db: DbSession) -> Response:
    principal = principal_from_user(user, db)
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    try:
        if principal.store_codes is not None or not principal.can("write"):
            raise PermissionDenied(
                "points rules are set for the whole chain",
                message=N_("Points rules are set for the whole chain by marketers and admins."),
            )
        reason = _reason(form)
        rules = rules_from_form(form)
        with db.begin_nested():
            points_rules.set_rules(db, rules=rules, actor=principal.name, reason=reason)
    except DomainError as exc:
        return _overview(
            request, db, status_code=exc.status, error=error_text(request, exc), rules_form=form
        )
    return RedirectResponse("/loyalty?rules_saved=1", status_code=303)


@router.get("/loyalty", response_class=HTMLResponse)
def loyalty_page(
    request: Request, user: ConsoleUser, db: DbSession, customer_id: str | None = None
) -> Response:
    if customer_id and customer_id.strip():
        return RedirectResponse(f"/loyalty/members/{customer_id.strip()}", status_code=303)
    q = request.query_params
    return _overview(request, db, created=q.get("created"), rules_saved=q.get("rules_saved"))


def tier_from_form(form: dict[str, str]) -> TierCreate:
    benefits = [b.strip() for b in form.get("benefits", "").splitlines() if b.strip()]
    data: dict[str, Any] = {
        key: form[key].strip()
        for key in TIER_FIELDS
        if key != "benefits" and form.get(key, "").strip()
    }
    return TierCreate.model_validate({**data, "benefits": benefits})


@router.post("/loyalty/tiers", response_class=HTMLResponse, dependencies=[CsrfProtected])
async def create_tier(request: Request, user: ConsoleUser, db: DbSession) -> Response:
    principal = principal_from_user(user, db)
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    try:
        if principal.store_codes is not None or not principal.can("write"):
            raise PermissionDenied(
                "tiers are set for the whole chain",
                message=N_("Tiers are set for the whole chain by marketers and admins."),
            )
        data = tier_from_form(form)
        with db.begin_nested():
            tier = service.create_tier(db, data=data)
            audit.record(
                db, actor=principal.name, action="loyalty.tier_create", object_type="tier",
                object_id=tier.code, detail=data.model_dump(mode="json"),
            )  # fmt: skip
    except ValidationError as exc:
        return _overview(request, db, status_code=422, error=invalid_text(exc), form=form)
    except DomainError as exc:
        return _overview(
            request, db, status_code=exc.status, error=error_text(request, exc), form=form
        )
    return RedirectResponse(f"/loyalty?created={tier.code}", status_code=303)


def _member(
    request: Request,
    db: DbSession,
    principal: Principal,
    customer_id: str,
    *,
    status_code: int = 200,
    **extra: Any,
) -> Response:
    try:
        # a store user sees only their stores' members (404 as for an unknown member)
        require_visible_customer(db, principal, customer_id)
    except NotFound as exc:
        return render(
            request,
            "loyalty/member.html",
            {"customer_id": customer_id, "missing": error_text(request, exc), "account": None,
             "entries": [], "known": False},
            status_code=404,
        )  # fmt: skip
    try:
        account = service.account_view(db, customer_id=customer_id)
        entries = service.entries(db, customer_id=customer_id, limit=500)
        missing = None
    except LoyaltyNotFound:
        account, entries = None, []
        missing = gettext("This member has no points yet.")
    return render(
        request,
        "loyalty/member.html",
        {
            "customer_id": customer_id,
            "account": account,
            "entries": entries,
            "missing": missing,
            "known": True,
            "tiers": service.tiers(db),
            "can_write": principal.can("write"),
            "token": secrets.token_hex(8),
            **extra,
        },
        status_code=status_code,
    )


@router.get("/loyalty/members/{customer_id}", response_class=HTMLResponse)
def member_page(request: Request, user: ConsoleUser, db: DbSession, customer_id: str) -> Response:
    principal = principal_from_user(user, db)
    return _member(request, db, principal, customer_id, done=request.query_params.get("done"))


def _points(text: str) -> int:
    try:
        points = int(text.strip().replace("+", ""))
    except ValueError:
        raise InvalidInput(
            f"points {text!r} is not a whole number",
            field="points",
            message=N_("Points must be a whole number, e.g. 200 or -50."),
        ) from None
    if not -MAX_POINTS <= points <= MAX_POINTS:
        raise InvalidInput(
            "too many points for one adjustment",
            field="points",
            message=N_("At most %(max)s points in one adjustment."),
            params={"max": MAX_POINTS},
        )
    return points


def _reason(form: dict[str, str]) -> str:
    reason = form.get("reason", "").strip()[:256]
    if not reason:
        raise InvalidInput(
            "give a reason (it is audited)",
            field="reason",
            message=N_("Give a reason: points and tier changes are audited."),
        )
    return reason


@router.post(
    "/loyalty/members/{customer_id}/adjust",
    response_class=HTMLResponse,
    dependencies=[CsrfProtected],
)
async def adjust_points(
    request: Request, customer_id: str, user: ConsoleUser, db: DbSession
) -> Response:
    principal = principal_from_user(user, db)
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    try:
        _require_write(principal)
        require_visible_customer(db, principal, customer_id)
        points, reason = _points(form.get("points", "")), _reason(form)
        ref = f"console:{customer_id}:{form.get('token', '')[:32] or secrets.token_hex(8)}"
        service.adjust_points_audited(
            db, customer_id=customer_id, points=points, reason=reason, ref=ref,
            actor=principal.name,
        )  # fmt: skip
    except DomainError as exc:
        return _member(
            request, db, principal, customer_id, status_code=exc.status,
            error=error_text(request, exc), form=form,
        )  # fmt: skip
    return RedirectResponse(f"/loyalty/members/{customer_id}?done=points", status_code=303)


@router.post(
    "/loyalty/members/{customer_id}/tier",
    response_class=HTMLResponse,
    dependencies=[CsrfProtected],
)
async def set_tier(
    request: Request, customer_id: str, user: ConsoleUser, db: DbSession
) -> Response:
    principal = principal_from_user(user, db)
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    try:
        _require_write(principal)
        require_visible_customer(db, principal, customer_id)
        with db.begin_nested():
            service.set_tier(
                db,
                customer_id=customer_id,
                tier_code=form.get("tier_code") or None,
                actor=principal.name,
                reason=_reason(form),
            )
    except DomainError as exc:
        return _member(
            request, db, principal, customer_id, status_code=exc.status,
            error=error_text(request, exc), form=form,
        )  # fmt: skip
    return RedirectResponse(f"/loyalty/members/{customer_id}?done=tier", status_code=303)
