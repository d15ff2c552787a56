"""The coupon redemption rate (券核销率): coupons issued in a period that were used on a paid
order / coupons issued in the period; coupon orders whose coupon was never issued (a till's
own discount code) do not push it past 100%."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal

import pyarrow as pa
import pytest

from omniretail.insight.kpi import service
from omniretail.insight.kpi.sql import SUMMARY_SQL
from omniretail.platform.engine import DuckDBEngine


def _order(oid: str, day: date, code: str | None, status: str = "paid") -> dict:
    return {
        "order_id": oid,
        "order_day": day,
        "store_code": "S001",
        "channel_code": "pos",
        "status": status,
        "customer_id": "C1",
        "paid_amount": Decimal("50.00"),
        "discount_amount": Decimal("5.00"),
        "units": 1,
        "coupon_code": code,
    }


def _claim(eid: str, at: datetime, code: str | None) -> dict:
    props = "{}" if code is None else f'{{"coupon":"{code}"}}'
    return {"event_id": eid, "event_type": "coupon_claim", "occurred_at": at, "properties": props}


@pytest.fixture
def engine() -> Iterator[DuckDBEngine]:
    e = DuckDBEngine()
    orders = [
        _order("o1", date(2025, 2, 3), "A"),  # claimed in January, used in February
        _order("o2", date(2025, 1, 20), "B", status="returned"),  # returned: not redeemed
        *(_order(f"x{i}", date(2025, 1, 10 + i), f"X{i}") for i in range(5)),  # never issued
        _order("o3", date(2025, 1, 5), None),
    ]
    events = [
        _claim("e1", datetime(2025, 1, 2, 10), "A"),
        _claim("e2", datetime(2025, 1, 3, 10), "A"),  # the same coupon claimed twice: one coupon
        _claim("e3", datetime(2025, 1, 4, 10), "B"),
        _claim("e4", datetime(2025, 1, 5, 10), "C"),
        _claim("e5", datetime(2025, 1, 6, 10), None),  # a claim without a code is one coupon
        {**_claim("v1", datetime(2025, 1, 6, 11), None), "event_type": "product_view"},
    ]
    e.register_arrow("ins_order_facts", pa.Table.from_pylist(orders))
    e.register_arrow("events", pa.Table.from_pylist(events))
    e.register_arrow(
        "dim_store",
        pa.table(
            {"store_code": ["S001"], "region": ["华中"], "province": ["湖北"], "city": ["武汉"]}
        ),
    )
    e.register_arrow("customers", pa.table({"customer_id": ["C1"], "province": ["湖北"]}))
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


def test_monthly_rate_is_by_issue_month_and_never_above_one(engine) -> None:
    rows = {str(r["period"]): r for r in service.kpi_report(engine, grain="month")}
    jan, feb = rows["2025-01-01"], rows["2025-02-01"]
    assert (jan["coupon_claims"], jan["coupon_claims_redeemed"]) == (4, 1)
    assert jan["coupon_redemption_rate"] == 0.25
    assert jan["coupon_orders"] == 5
    assert (feb["coupon_claims"], feb["coupon_redemption_rate"]) == (0, None)
    assert all((r["coupon_redemption_rate"] or 0) <= 1 for r in rows.values())
