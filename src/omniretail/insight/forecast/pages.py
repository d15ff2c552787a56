"""Console: replenishment suggestions to review and approve (补货建议), forecast vs actual."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from omniretail.insight.forecast import service
from omniretail.insight.forecast.schemas import Decision, SuggestRequest
from omniretail.platform.auth.deps import DbSession, principal_from_user
from omniretail.platform.auth.scope import store_scope
from omniretail.platform.console.csrf import CsrfProtected
from omniretail.platform.console.render import render
from omniretail.platform.console.session import ConsoleUser
from omniretail.platform.errors import DomainError

router = APIRouter(tags=["console"])


def _stores(user: Any, db: Any) -> list[str]:
    codes = store_scope(principal_from_user(user, db)).codes()
    return sorted(codes) if codes is not None else service.forecast_store_codes()


@router.get("/omnichannel/replenishment", response_class=HTMLResponse)
def replenishment_page(
    request: Request,
    user: ConsoleUser,
    db: DbSession,
    store: str | None = None,
    status: str | None = "proposed",
) -> HTMLResponse:
    stores = _stores(user, db)
    code = store or (stores[0] if stores else None)
    rows = []
    error = None
    if code:
        store_scope(principal_from_user(user, db)).require(code, field="store")
        rows = service.list_suggestions(db, store_code=code, status=status or None)
    return render(
        request,
        "forecast/replenishment.html",
        {"stores": stores, "store": code, "status": status, "rows": rows, "error": error},
    )


@router.post("/omnichannel/replenishment/run", dependencies=[CsrfProtected])
def run_suggestions(
    user: ConsoleUser,
    db: DbSession,
    store: str = Form(...),
    lead_time_days: int = Form(2),
    review_days: int = Form(7),
    service_level: float = Form(0.98),
) -> Response:
    principal = principal_from_user(user, db)
    principal.require("write")
    store_scope(principal).require(store, field="store")
    service.suggest(
        db,
        data=SuggestRequest(
            store_code=store,
            lead_time_days=lead_time_days,
            review_days=review_days,
            service_level=service_level,
        ),
    )
    return RedirectResponse(f"/omnichannel/replenishment?store={store}", status_code=303)


@router.post("/omnichannel/replenishment/{suggestion_id}", dependencies=[CsrfProtected])
def decide_suggestion(
    request: Request,
    suggestion_id: int,
    user: ConsoleUser,
    db: DbSession,
    action: str = Form(...),
    quantity: int | None = Form(None),
) -> Response:
    principal = principal_from_user(user, db)
    principal.require("write")
    current = service.get_suggestion(db, suggestion_id=suggestion_id)
    store_scope(principal).require(current.store_code, field="store")
    try:
        row = service.decide(
            db,
            suggestion_id=suggestion_id,
            decision=Decision(approve=action == "approve", quantity=quantity),
            user=user.username,
        )
    except DomainError as exc:
        if request.headers.get("hx-request"):
            return render(
                request,
                "forecast/_row.html",
                {"r": current, "error": exc.detail},
                status_code=200,
            )
        raise
    if request.headers.get("hx-request"):
        return render(request, "forecast/_row.html", {"r": row, "error": None})
    return RedirectResponse(f"/omnichannel/replenishment?store={row.store_code}", status_code=303)


@router.get("/omnichannel/forecast", response_class=HTMLResponse)
def forecast_page(
    request: Request,
    user: ConsoleUser,
    db: DbSession,
    level: str = "category",
    key: str | None = None,
) -> HTMLResponse:
    codes = store_scope(principal_from_user(user, db)).codes()
    data = service.forecast_vs_actual(level=level, key=key, store_codes=codes)
    return render(request, "forecast/forecast.html", {"data": data, "level": level, "key": key})
