"""Console: KPI dashboards (经营看板) with ECharts; every chart exports its rows as CSV."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from omniretail.insight.kpi import dashboard
from omniretail.omnichannel.store import service as store_service
from omniretail.platform import export, i18n
from omniretail.platform.auth.deps import DbSession, principal_from_user
from omniretail.platform.auth.scope import store_scope
from omniretail.platform.console.locale import request_locale
from omniretail.platform.console.render import error_text, render
from omniretail.platform.console.session import ConsoleUser
from omniretail.platform.engine.snapshot import NoPublishedSnapshot, run_on_published
from omniretail.platform.errors import DomainError
from omniretail.platform.i18n import N_, _

router = APIRouter(tags=["console"])

# The dashboards' CSV headers in the reader's language (a column not listed keeps its code).
KPI_CSV_LABELS = {
    "period": N_("Period"),
    "month": N_("Month"),
    "day": N_("Day"),
    "sales": N_("Sales (¥)"),
    "net_sales": N_("Net sales after returns (¥)"),
    "orders": N_("Orders"),
    "buyers": N_("Buyers"),
    "aov": N_("Average order value (¥)"),
    "units": N_("Units"),
    "units_per_order": N_("Units per order"),
    "returns": N_("Returns (¥)"),
    "returned_orders": N_("Returned orders"),
    "cancelled_orders": N_("Cancelled orders"),
    "discount": N_("Discounts (¥)"),
    "member_sales": N_("Member sales (¥)"),
    "member_sales_share": N_("Member share of sales"),
    "member_orders": N_("Member orders"),
    "active_members": N_("Active members"),
    "new_members": N_("New members"),
    "returning_members": N_("Returning members"),
    "repeat_members": N_("Repeat members"),
    "repurchase_rate": N_("Repurchase rate"),
    "sales_growth_prev": N_("Sales vs previous period"),
    "sales_growth_yoy": N_("Sales vs last year"),
    "orders_growth_prev": N_("Orders vs previous period"),
    "orders_growth_yoy": N_("Orders vs last year"),
    "active_growth_prev": N_("Active members vs previous period"),
    "active_growth_yoy": N_("Active members vs last year"),
    "channel_code": N_("Channel code"),
    "channel_name": N_("Channel"),
    "region": N_("Region"),
    "province": N_("Province"),
    "map_name": N_("Province (map)"),
    "city": N_("City"),
    "store_code": N_("Store code"),
    "cohort_month": N_("Cohort month"),
    "cohort_size": N_("Cohort size"),
    "months_since": N_("Months since first purchase"),
    "retained": N_("Retained"),
    "retention": N_("Retention"),
    "members": N_("Members"),
    "coupons_issued": N_("Coupons issued"),
    "coupons_redeemed": N_("Coupons redeemed"),
    "coupon_redemption_rate": N_("Coupon redemption rate"),
    "nps": N_("NPS"),
    "coupon_orders": N_("Orders with a coupon"),
    "coupon_claims": N_("Coupons claimed"),
    "coupon_claims_redeemed": N_("Claimed coupons redeemed"),
    "coupon_members": N_("Members claiming coupons"),
    "coupon_claims_growth_prev": N_("Coupons claimed vs previous period"),
    "coupon_claims_growth_yoy": N_("Coupons claimed vs last year"),
    "coupon_redemption_rate_change_prev": N_("Redemption rate change vs previous period"),
    "coupon_redemption_rate_change_yoy": N_("Redemption rate change vs last year"),
    "kind": N_("Row (category pair or category)"),
    "source": N_("First category code"),
    "target": N_("Second category code"),
    "orders_ab": N_("Orders with both"),
    "lift": N_("Lift"),
    "support": N_("Support (share of orders)"),
    "id": N_("Category code"),
    "name": N_("Category name"),
}
# The network CSV's row kinds in words.
NETWORK_KIND_WORDS = {"edge": N_("Category pair"), "node": N_("Category")}
KPI_CSV_MONEY = frozenset(
    {"sales", "net_sales", "aov", "returns", "discount", "member_sales", "cltv_historic"}
)


GRAIN_LABELS = {"day": N_("By day"), "week": N_("By week"), "month": N_("By month")}


@router.get("/dashboards", response_class=HTMLResponse)
def dashboards_page(
    request: Request,
    user: ConsoleUser,
    db: DbSession,
    grain: str = "month",
    start: str = "",
    end: str = "",
    store: str = "",
    channel: str = "",
    region: str = "",
) -> HTMLResponse:
    """The dashboards; the filter bar (period grain and range, store, channel, region) narrows
    the trend chart, compared with the previous period and last year."""
    codes = store_scope(principal_from_user(user)).codes()
    f = dashboard.TrendFilter(
        grain=grain if grain in GRAIN_LABELS else "month",
        start=start or None,
        end=end or None,
        store=store or None,
        channel=channel or None,
        region=region or None,
    )
    data: dict[str, Any] | None = None
    missing = filter_error = None
    try:
        data = run_on_published(lambda e: dashboard.dashboard(e, store_codes=codes, filters=f))
    except NoPublishedSnapshot as exc:
        missing = error_text(request, exc)
    except DomainError as exc:  # a bad date or a store not theirs: the page without the filter
        filter_error = _("Check the filter (%(field)s): %(problem)s") % {
            "field": exc.field or "",
            "problem": error_text(request, exc),
        }
        data = run_on_published(lambda e: dashboard.dashboard(e, store_codes=codes))
    stores = (
        store_service.list_stores(db, codes=codes, active_only=False)
        if codes
        else (store_service.list_stores(db, active_only=False))
    )
    return render(
        request,
        "kpi/dashboards.html",
        {
            "data": data,
            "missing": missing,
            "f": f,
            "filter_error": filter_error,
            "grains": {k: _(v) for k, v in GRAIN_LABELS.items()},
            "stores": stores,
        },
    )


@router.get("/dashboards/{chart}.csv")
def chart_csv(request: Request, chart: str, user: ConsoleUser, db: DbSession) -> Response:
    codes = store_scope(principal_from_user(user)).codes()
    rows: list[dict[str, Any]] = run_on_published(
        lambda e: dashboard.chart_rows(e, chart, store_codes=codes)
    )
    with i18n.use_locale(request_locale(request)):
        labels = {k: _(v) for k, v in KPI_CSV_LABELS.items()}
        kinds = {k: _(v) for k, v in NETWORK_KIND_WORDS.items()}
    if chart == "network":
        rows = [{**r, "kind": kinds.get(str(r.get("kind")), r.get("kind"))} for r in rows]
    return export.csv_response(  # type: ignore[no-any-return]
        rows, filename=f"{chart}.csv", labels=labels, money=KPI_CSV_MONEY
    )
