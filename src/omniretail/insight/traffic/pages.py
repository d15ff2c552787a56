"""Console: the store-traffic page (门店客流) — the caller's stores only."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from omniretail.insight.traffic import report
from omniretail.platform.auth.deps import DbSession, principal_from_user
from omniretail.platform.auth.scope import store_scope
from omniretail.platform.console.render import error_text, render
from omniretail.platform.console.session import ConsoleUser
from omniretail.platform.engine.snapshot import NoPublishedSnapshot, run_on_published
from omniretail.platform.errors import InvalidInput

router = APIRouter(tags=["console"])


@router.get("/traffic", response_class=HTMLResponse)
def traffic_page(
    request: Request,
    user: ConsoleUser,
    db: DbSession,
    month: str | None = None,
    store: str | None = None,
) -> HTMLResponse:
    scope = store_scope(principal_from_user(user))
    if store:
        scope.require(store)
    codes = scope.codes()
    data: dict[str, Any] | None = None
    missing = problem = None
    try:
        data = run_on_published(
            lambda e: report.page(e, stores=codes, month=month or None, store=store or None)
        )
    except NoPublishedSnapshot as exc:
        missing = error_text(request, exc)
    except InvalidInput as exc:
        problem = error_text(request, exc)
    return render(
        request,
        "traffic/page.html",
        {"data": report.jsonable(data) if data else None, "missing": missing, "problem": problem},
        status_code=400 if problem else 200,
    )
