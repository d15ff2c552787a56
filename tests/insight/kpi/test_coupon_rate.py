"""The coupon redemption rate (券核销率): coupons issued in a period that were used on a paid
order / coupons issued in the period; coupon orders whose coupon was never issued (a till's
own discount code) do not push it past 100%."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime

import pyarrow as pa
import pytest

from omniretail.insight.kpi import service
from omniretail.insight.kpi.sql import SUMMARY_SQL
from omniretail.platform.engine import DuckDBEngine
from tests.insight.kpi.rows import order_row


def _claim(
    eid: str,
    at: datetime,
    code: str | None,
    *,
    customer: str | None = "C1",
    store: str | None = "S001",
    channel: str = "pos",
) -> dict:
    props = "{}" if code is None else f'{{"coupon":"{code}"}}'
    return {
        "event_id": eid,
        "event_type": "coupon_claim",
        "occurred_at": at,
        "properties": props,
        "customer_id": customer,
        "store_code": store,
        "channel_code": channel,
    }


@pytest.fixture
def engine() -> Iterator[DuckDBEngine]:
    e = DuckDBEngine()
    orders = [
        order_row("o1", date(2025, 2, 3), "A"),  # claimed in January, used in February
        order_row("o2", date(2025, 1, 20), "B", status="returned"),  # returned: not redeemed
        *(order_row(f"x{i}", date(2025, 1, 10 + i), f"X{i}") for i in range(5)),  # never issued
        order_row("o3", date(2025, 1, 5), None),
    ]
    events = [
        _claim("e1", datetime(2025, 1, 2, 10), "A"),
        # the same coupon claimed twice: one coupon, of the store and channel of its first issue
        _claim("e2", datetime(2025, 1, 3, 10), "A", store="S002"),
        _claim("e3", datetime(2025, 1, 4, 10), "B", store="S002"),
        _claim("e4", datetime(2025, 1, 5, 10), "C", customer="C2", store=None, channel="app"),
        # a claim without a code is one coupon (a walk-in's: no member)
        _claim("e5", datetime(2025, 1, 6, 10), None, customer=None),
        {**_claim("v1", datetime(2025, 1, 6, 11), None), "event_type": "product_view"},
    ]
    e.register_arrow("ins_order_facts", pa.Table.from_pylist(orders))
    e.register_arrow("events", pa.Table.from_pylist(events))
    e.register_arrow(
        "dim_store",
        pa.table(
            {
                "store_code": ["S001", "S002"],
                "region": ["华中", "华东"],
                "province": ["湖北", "上海"],
                "city": ["武汉", "上海"],
            }
        ),
    )
    e.register_arrow(
        "customers",
        pa.table(
            {
                "customer_id": ["C1", "C2", "C3", "C4"],
                "province": ["湖北"] * 4,
                "home_store_code": ["S001", "S002", "S002", None],
            }
        ),
    )
    e.register_arrow("reviews", pa.table({"rating": pa.array([], pa.int32())}))
    e.register_arrow("ins_as_of", pa.table({"as_of": [date(2025, 3, 1)]}))
    e.materialize("kpi_summary", SUMMARY_SQL)
    yield e
    e.close()


def test_summary_counts_only_issued_coupons(engine) -> None:
    out = service.summary(engine)
    assert out["coupons_issued"] == 4  # A, B, C and the claim without a code
    assert out["coupons_redeemed"] == 1  # A
    assert out["coupon_orders"] == 6  # A and the five never-issued codes
    assert out["coupon_redemption_rate"] == 0.25


def test_issue_rate_is_the_share_of_members_given_a_coupon(engine) -> None:
    out = service.summary(engine)
    # C1 holds A and B, C2 holds C, the walk-in's coupon has no member; 4 members
    assert (out["coupon_members"], out["members"]) == (2, 4)
    assert out["coupon_issue_rate"] == 0.5


def test_monthly_rate_is_by_issue_month_and_never_above_one(engine) -> None:
    rows = {str(r["period"]): r for r in service.kpi_report(engine, grain="month")}
    jan, feb = rows["2025-01-01"], rows["2025-02-01"]
    assert (jan["coupon_claims"], jan["coupon_claims_redeemed"]) == (4, 1)
    assert jan["coupon_redemption_rate"] == 0.25
    assert jan["coupon_orders"] == 5
    assert (feb["coupon_claims"], feb["coupon_redemption_rate"]) == (0, None)
    assert all((r["coupon_redemption_rate"] or 0) <= 1 for r in rows.values())


def test_coupons_count_where_they_were_issued(engine) -> None:
    def january(by: str) -> dict:
        rows = service.kpi_report(engine, grain="month", by=[by], start="2025-01-01")
        key = "region" if by == "region" else f"{by}_code"
        return {r[key]: r for r in rows if str(r["period"]) == "2025-01-01"}

    def counts(r: dict) -> tuple:
        return (r["coupon_claims"], r["coupon_claims_redeemed"], r["coupon_redemption_rate"])

    stores = january("store")
    # A (first claimed at S001, used) and the walk-in's coupon at S001; B at S002; C in the app
    assert counts(stores["S001"]) == (2, 1, 0.5)
    assert counts(stores["S002"]) == (1, 0, 0.0)  # a store with coupons and no orders
    assert stores["S002"]["orders"] == 0
    assert counts(stores[None]) == (1, 0, 0.0)
    channels = january("channel")
    assert counts(channels["pos"]) == (3, 1, 0.333333)
    assert counts(channels["app"]) == (1, 0, 0.0)
    assert channels["app"]["coupon_members"] == 1
    regions = january("region")
    assert counts(regions["华中"]) == (2, 1, 0.5)
    assert counts(regions["华东"]) == (1, 0, 0.0)
    days = service.kpi_report(engine, grain="day", by=["store"], end="2025-01-31")
    assert {(str(r["period"]), r["store_code"]) for r in days if r["coupon_claims"]} == {
        ("2025-01-02", "S001"),
        ("2025-01-04", "S002"),
        ("2025-01-05", None),
        ("2025-01-06", "S001"),
    }
    # a store-scoped user sees the coupons of their stores only
    scoped = service.kpi_report(engine, grain="month", store_codes=["S002"])
    assert sum(r["coupon_claims"] for r in scoped) == 1


def test_coupon_growth_vs_previous_period(engine) -> None:
    weeks = service.kpi_report(engine, grain="week", by=["store"], end="2025-01-31")
    s001 = {str(r["period"]): r for r in weeks if r["store_code"] == "S001"}
    # week of 30 Dec 2024: A (2 Jan); week of 6 Jan: the walk-in's coupon (6 Jan)
    first, second = s001["2024-12-30"], s001["2025-01-06"]
    assert (first["coupon_claims"], second["coupon_claims"]) == (1, 1)
    assert second["coupon_claims_growth_prev"] == 0.0
    assert second["coupon_redemption_rate_change_prev"] == -1.0  # 100% -> 0%
    assert first["coupon_claims_growth_prev"] is None
