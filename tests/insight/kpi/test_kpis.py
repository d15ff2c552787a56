"""KPIs checked against the orders computed independently in pandas."""

from __future__ import annotations

import pandas as pd
import pytest

from omniretail.insight.kpi import service
from omniretail.platform.errors import InvalidInput


@pytest.fixture(scope="module")
def paid(small_world) -> pd.DataFrame:
    orders = small_world["orders"].to_pandas()
    orders["paid_amount"] = orders.paid_amount.astype(float)
    orders["month"] = orders.ordered_at.dt.to_period("M").dt.start_time.dt.date
    return orders[orders.status == "paid"]


def test_monthly_sales_orders_members(insight_duckdb, paid) -> None:
    rows = {r["period"]: r for r in service.kpi_report(insight_duckdb, grain="month")}
    by_month = paid.groupby("month").agg(
        sales=("paid_amount", "sum"),
        orders=("order_id", "count"),
        members=("customer_id", "nunique"),
    )
    assert set(rows) == set(by_month.index)
    for month, exp in by_month.iterrows():
        got = rows[month]
        assert got["sales"] == pytest.approx(exp.sales, abs=0.01)
        assert got["orders"] == exp.orders
        assert got["active_members"] == exp.members
        assert got["aov"] == pytest.approx(exp.sales / exp.orders, abs=1e-5)
        assert got["active_members"] == got["new_members"] + got["returning_members"]
    first = paid.groupby("customer_id").month.min().value_counts()
    for month, n in first.items():
        assert rows[month]["new_members"] == n


def test_growth_vs_previous_period_and_last_year(insight_duckdb) -> None:
    rows = service.kpi_report(insight_duckdb, grain="month")
    by = {r["period"]: r for r in rows}
    checked_yoy = 0
    for r in rows:
        prev = by.get((pd.Timestamp(r["period"]) - pd.DateOffset(months=1)).date())
        if prev and prev["sales"]:
            assert r["sales_growth_prev"] == pytest.approx(r["sales"] / prev["sales"] - 1, abs=1e-5)
        ly = by.get((pd.Timestamp(r["period"]) - pd.DateOffset(years=1)).date())
        if ly and ly["sales"]:
            assert r["sales_growth_yoy"] == pytest.approx(r["sales"] / ly["sales"] - 1, abs=1e-5)
            checked_yoy += 1
    assert checked_yoy > 0


def test_by_dimension_sums_to_total(insight_duckdb) -> None:
    total = service.kpi_report(insight_duckdb, grain="week", start="2026-03-02", end="2026-05-31")
    by_channel = service.kpi_report(
        insight_duckdb, grain="week", by=["channel"], start="2026-03-02", end="2026-05-31"
    )
    for week in total:
        parts = [r for r in by_channel if r["period"] == week["period"]]
        assert sum(p["orders"] for p in parts) == week["orders"]
    region = service.kpi_report(
        insight_duckdb, grain="day", by=["region", "store"], start="2026-06-01"
    )
    assert all("region" in r and "store_code" in r for r in region)
    scoped = service.kpi_report(insight_duckdb, grain="month", store_codes=["S0001"])
    assert sum(r["orders"] for r in scoped) < sum(
        r["orders"] for r in service.kpi_report(insight_duckdb)
    )


def test_bad_parameters_are_named(insight_duckdb) -> None:
    with pytest.raises(InvalidInput) as err:
        service.kpi_report(insight_duckdb, grain="year")
    assert err.value.field == "grain"
    with pytest.raises(InvalidInput) as err:
        service.kpi_report(insight_duckdb, by=["colour"])
    assert err.value.field == "by"
    with pytest.raises(InvalidInput) as err:
        service.kpi_report(insight_duckdb, start="01/02/2026")
    assert err.value.field == "start"


def test_summary_cohorts_provinces(insight_duckdb, paid, small_world) -> None:
    out = service.summary(insight_duckdb, marketing_cost=9000)
    assert out["orders"] == len(paid)
    assert out["cltv_historic"] == pytest.approx(
        paid.paid_amount.sum() / paid.customer_id.nunique(), abs=1e-4
    )
    reviews = small_world["reviews"].to_pandas()
    nps = 100 * ((reviews.rating == 5).mean() - (reviews.rating <= 3).mean())
    assert out["nps"] == pytest.approx(nps, abs=1e-4)
    assert out["cac"] == pytest.approx(9000 / out["new_members_365d"], abs=0.01)
    cohorts = service.cohorts(insight_duckdb, months=6)
    assert cohorts
    assert all(c["months_since"] >= 0 for c in cohorts)
    assert all(c["retention"] == 1.0 for c in cohorts if c["months_since"] == 0)
    provinces = service.provinces(insight_duckdb)
    assert sum(float(p["orders"]) for p in provinces) == len(paid)
