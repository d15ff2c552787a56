"""Console pages: loyalty overview (tiers) and a member's points ledger (积分流水)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from omniretail.cdp.profile.service import require_visible_customer
from omniretail.marketing.loyalty import service
from omniretail.platform.auth.deps import DbSession, principal_from_user
from omniretail.platform.console.render import render
from omniretail.platform.console.session import ConsoleUser
from omniretail.platform.errors import NotFound

router = APIRouter(tags=["console"])


@router.get("/loyalty", response_class=HTMLResponse)
def loyalty_page(
    request: Request, user: ConsoleUser, db: DbSession, customer_id: str | None = None
) -> Response:
    if customer_id and customer_id.strip():
        return RedirectResponse(f"/loyalty/members/{customer_id.strip()}", status_code=303)
    return render(
        request,
        "loyalty/overview.html",
        {"tiers": service.tiers(db), "summary": service.summary(db)},
    )


@router.get("/loyalty/members/{customer_id}", response_class=HTMLResponse)
def member_page(request: Request, user: ConsoleUser, db: DbSession, customer_id: str) -> Response:
    try:
        # a store user sees only their stores' members (404 as for an unknown member)
        require_visible_customer(db, principal_from_user(user, db), customer_id)
        account = service.account_view(db, customer_id=customer_id)
    except NotFound as exc:
        return render(
            request,
            "loyalty/member.html",
            {"customer_id": customer_id, "missing": exc.detail, "account": None, "entries": []},
            status_code=404,
        )
    return render(
        request,
        "loyalty/member.html",
        {
            "customer_id": customer_id,
            "account": account,
            "entries": service.entries(db, customer_id=customer_id, limit=500),
            "missing": None,
        },
    )
