"""The console's JSON API: the overview dashboard's data and a CSV export per chart."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from omniretail.platform import export
from omniretail.platform.auth.deps import ApiPrincipal, DbSession
from omniretail.platform.auth.scope import store_scope
from omniretail.platform.console.locale import request_locale
from omniretail.web import overview
from omniretail.web.schemas import OverviewRead

router = APIRouter(prefix="/overview", tags=["overview"])

Days = Annotated[
    int,
    Query(
        ge=0,
        le=3660,
        description="period length in days, ending on the last day with orders (0 = all)",
    ),
]
Chart = Literal["sales_by_day", "by_channel", "by_province", "stores"]


def _load(principal: ApiPrincipal, db: DbSession, days: int) -> OverviewRead:
    principal.require("read")
    store_codes = store_scope(principal).codes()
    return overview.load_overview(days=days, store_codes=store_codes)


@router.get("", response_model=OverviewRead)
def get_overview(
    principal: ApiPrincipal, db: DbSession, days: Days = overview.DEFAULT_DAYS
) -> OverviewRead:
    """Sales by day, channel, province and store, members and orders, from the published
    analytics snapshot (``available`` is false, with a ``reason``, when nothing is published)."""
    return _load(principal, db, days)


@router.get("/{chart}.csv", response_class=Response)
def export_chart_csv(
    request: Request,
    chart: Chart,
    principal: ApiPrincipal,
    db: DbSession,
    days: Days = overview.DEFAULT_DAYS,
) -> Response:
    """One chart's data as CSV (UTF-8 with BOM so spreadsheet programs read the Chinese):
    headers and channel kinds in the console's language, sales rounded to the cent."""
    data = _load(principal, db, days)
    suffix = f"{data.period_start}_{data.period_end}" if data.available else "empty"
    locale = request_locale(request)
    return export.csv_response(  # type: ignore[no-any-return]
        overview.chart_rows(data, chart, locale),
        columns=overview.CSV_COLUMNS[chart],
        labels=overview.csv_labels(locale),
        money=overview.CSV_MONEY,
        filename=f"overview-{chart}-{suffix}.csv",
    )
