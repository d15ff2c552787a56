"""Console model pages: lifetime value (BG/NBD + Gamma-Gamma) and churn risk."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from omniretail.insight.clv import serving
from omniretail.platform.console.render import error_text, render
from omniretail.platform.console.session import ConsoleUser
from omniretail.platform.engine.snapshot import NoPublishedSnapshot
from omniretail.platform.errors import NotFound

router = APIRouter(tags=["console"])


def _report(request: Request, model: str) -> tuple[dict[str, Any] | None, str | None]:
    try:
        return serving.model_report(model=model), None
    except (NotFound, NoPublishedSnapshot) as exc:
        return None, error_text(request, exc)


@router.get("/models/clv", response_class=HTMLResponse)
def clv_page(request: Request, user: ConsoleUser) -> HTMLResponse:
    report, missing = _report(request, "clv")
    return render(request, "clv/clv.html", {"report": report, "missing": missing})


@router.get("/models/churn", response_class=HTMLResponse)
def churn_page(request: Request, user: ConsoleUser) -> HTMLResponse:
    report, missing = _report(request, "churn")
    return render(request, "clv/churn.html", {"report": report, "missing": missing})
