"""Console pages: customer search (客户查询) and the Customer 360 page (客户360视图)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from omniretail.cdp.identity.errors import CustomerNotResolved
from omniretail.cdp.profile import identity_pages, service
from omniretail.platform.auth.deps import DbSession, principal_from_user
from omniretail.platform.console.render import render
from omniretail.platform.console.session import ConsoleUser
from omniretail.platform.engine import open_published
from omniretail.platform.timezone import CHAIN_TZ

router = APIRouter(tags=["console"])


@router.get("/customers", response_class=HTMLResponse)
def customers_page(
    request: Request,
    user: ConsoleUser,
    db: DbSession,
    q: str = Query("", max_length=128),
) -> HTMLResponse:
    principal = principal_from_user(user)
    results = service.search(db, principal, q, limit=50) if q.strip() else []
    return render(
        request,
        "profile/search.html",
        {
            "q": q,
            "results": results,
            "total": service.count_customers(db),
            "masked": not principal.sees_personal_data,
        },
    )


def _tags(customer_id: str) -> list[dict[str, Any]]:
    """The customer's row of ``customer_tags`` (published by the insight engine), if any."""
    engine = open_published()
    if engine is None:
        return []
    try:
        if not engine.table_exists("customer_tags"):
            return []
        rows = engine.fetch_rows("SELECT * FROM customer_tags WHERE customer_id = ?", [customer_id])
    finally:
        engine.close()
    if not rows:
        return []
    return [
        {"tag": k, "value": v}
        for k, v in rows[0].items()
        if k != "customer_id" and v not in (None, False, "", 0)
    ]


TIMES = ("registered_at", "first_seen_at", "last_seen_at")


def _shown_times(customer: dict[str, Any]) -> dict[str, str]:
    """The golden record's times as the chain's local wall clock (``2025-07-01 09:04``)."""
    shown = {}
    for key in TIMES:
        value = customer.get(key)
        if isinstance(value, str) and "T" in value:
            local = service.local_time(datetime.fromisoformat(value))
            if local is not None:
                shown[key] = f"{local:%Y-%m-%d %H:%M}"
    return shown


@router.get("/customers/{identifier}", response_class=HTMLResponse)
def customer_page(
    request: Request,
    identifier: str,
    user: ConsoleUser,
    db: DbSession,
    page: int = Query(1, ge=1, le=10_000),
) -> HTMLResponse:
    principal = principal_from_user(user)
    try:
        profile = service.get_profile(db, principal, identifier).model_dump(by_alias=True)
    except CustomerNotResolved as exc:
        return render(
            request,
            "profile/search.html",
            {
                "q": identifier,
                "results": [],
                "error": exc.detail,
                "total": None,
                "masked": not principal.sees_personal_data,
            },
            status_code=404,
        )
    customer_id = profile["customer"]["customer_id"]
    timeline = service.timeline(db, principal, customer_id, page=page, size=30).model_dump()
    return render(
        request,
        "profile/customer.html",
        {
            "p": profile,
            "c": profile["customer"],
            "timeline": timeline,
            "tags": _tags(customer_id),
            "shown": _shown_times(profile["customer"]),
            "tz": str(CHAIN_TZ),
            "masked": not principal.sees_personal_data,
        },
    )


router.include_router(identity_pages.router)
