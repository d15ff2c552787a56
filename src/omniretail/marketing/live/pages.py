"""Console: live commerce (直播与内容) — what each session brought, and the platforms compared."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from omniretail.marketing.live import service
from omniretail.platform.auth.deps import DbSession
from omniretail.platform.console.render import render
from omniretail.platform.console.session import ConsoleUser

router = APIRouter(tags=["console"])


@router.get("/live", response_class=HTMLResponse)
def live_page(request: Request, user: ConsoleUser, db: DbSession) -> HTMLResponse:
    figures = service.figures_now(db)
    return render(
        request,
        "live/page.html",
        {
            "sessions": figures,
            "platforms": service.platform_comparison(figures),
            "months": service.platform_comparison(figures, by="month"),
        },
    )
