"""Console: KPI dashboards (经营看板) with ECharts; every chart exports its rows as CSV."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from omniretail.insight.kpi import dashboard
from omniretail.platform import export
from omniretail.platform.auth.deps import DbSession, principal_from_user
from omniretail.platform.auth.scope import store_scope
from omniretail.platform.console.render import error_text, render
from omniretail.platform.console.session import ConsoleUser
from omniretail.platform.engine.snapshot import NoPublishedSnapshot, run_on_published

router = APIRouter(tags=["console"])


@router.get("/dashboards", response_class=HTMLResponse)
def dashboards_page(request: Request, user: ConsoleUser, db: DbSession) -> HTMLResponse:
    codes = store_scope(principal_from_user(user)).codes()
    data: dict[str, Any] | None = None
    missing = None
    try:
        data = run_on_published(lambda e: dashboard.dashboard(e, store_codes=codes))
    except NoPublishedSnapshot as exc:
        missing = error_text(request, exc)
    return render(request, "kpi/dashboards.html", {"data": data, "missing": missing})


@router.get("/dashboards/{chart}.csv")
def chart_csv(chart: str, user: ConsoleUser, db: DbSession) -> Response:
    codes = store_scope(principal_from_user(user)).codes()
    rows: list[dict[str, Any]] = run_on_published(
        lambda e: dashboard.chart_rows(e, chart, store_codes=codes)
    )
    return export.csv_response(rows, filename=f"{chart}.csv")  # type: ignore[no-any-return]
