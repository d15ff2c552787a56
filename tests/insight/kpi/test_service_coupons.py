"""Coupons of omniretail's own coupon service (a campaign's, redeemed through validate + redeem
as ``omniretail demo-respond`` and the POS API do) count as issued coupons in the KPIs, once
each, even when their code is also on an order's coupon_code."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pyarrow as pa
import pytest
from sqlalchemy.orm import Session

from omniretail.insight.kpi import service
from omniretail.insight.kpi.sql import summary_sql
from omniretail.marketing.coupon import redemption
from omniretail.marketing.coupon import service as coupon_service
from omniretail.marketing.coupon.models import Coupon
from omniretail.marketing.coupon.pipeline import export_coupons
from omniretail.platform.engine import DuckDBEngine
from tests.insight.kpi.rows import order_row
from tests.marketing.coupon.factories import basket, template

# 20:00 UTC on 31 January is 04:00 on 1 February in the chain's time zone (Asia/Shanghai)
ISSUED = datetime(2025, 1, 31, 20, 0, tzinfo=UTC)


def _order(oid: str, day: date, code: str | None) -> dict:
    return order_row(oid, day, code, paid="110.00", discount="10.00", units=2)


@pytest.fixture
def engine(sqlite_session: Session) -> Iterator[DuckDBEngine]:
    """Claim events for one POS coupon (used) and a campaign's coupons for C1, C2 and C3 from
    the coupon service: C1 redeems hers on an order that reached analytics, C2 through the
    coupon service on an order that has not (yet), C3 never."""
    s = sqlite_session
    template(s, valid_from=ISSUED - timedelta(days=1), valid_until=ISSUED + timedelta(days=30))
    coupon_service.issue_batch(
        s, campaign_id="SPRING", customer_ids=["C1", "C2", "C3"], template="T10", now=ISSUED
    )
    codes = {c.customer_id: c.code for c in s.query(Coupon).order_by(Coupon.customer_id)}
    at = ISSUED + timedelta(days=3)
    for cid in ("C1", "C2"):
        b = basket(cid, store="S001")
        assert redemption.validate(s, code=codes[cid], basket=b, now=at).valid
        redemption.redeem(s, code=codes[cid], order_id=f"DR-{cid}", basket=b, now=at)
    s.flush()

    e = DuckDBEngine()
    orders = [
        _order("p1", date(2025, 1, 10), "P1"),
        _order("DR-C1", date(2025, 2, 3), codes["C1"]),  # the service coupon, on an order too
    ]
    events = [
        {
            "event_id": "e1",
            "event_type": "coupon_claim",
            "occurred_at": datetime(2025, 1, 2, 10),
            "properties": '{"coupon":"P1"}',
            "customer_id": "C1",
            "store_code": "S001",
            "channel_code": "pos",
        }
    ]
    e.register_arrow("ins_order_facts", pa.Table.from_pylist(orders))
    e.register_arrow("events", pa.Table.from_pylist(events))
    e.register_arrow(
        "dim_store",
        pa.table({"store_code": ["S001", "S002"], "region": ["华中", "华东"]}),
    )
    e.register_arrow(
        "customers",
        pa.table(
            {
                "customer_id": ["C1", "C2", "C3", "C4"],
                "home_store_code": ["S001", "S002", "S002", "S001"],
            }
        ),
    )
    e.register_arrow("reviews", pa.table({"rating": pa.array([], pa.int32())}))
    e.register_arrow("ins_as_of", pa.table({"as_of": [date(2025, 3, 1)]}))
    assert export_coupons(s, e) == 3
    e.materialize("kpi_summary", summary_sql(e.table_exists("mkt_coupons")))
    yield e
    e.close()


def test_export_has_local_times_and_redemptions(engine) -> None:
    rows = engine.fetch_rows("SELECT * FROM mkt_coupons ORDER BY customer_id")
    assert [r["customer_id"] for r in rows] == ["C1", "C2", "C3"]
    assert {r["issued_at"] for r in rows} == {datetime(2025, 2, 1, 4, 0)}
    assert [r["status"] for r in rows] == ["redeemed", "redeemed", "issued"]
    assert rows[0]["order_id"] == "DR-C1"
    assert {r["campaign_id"] for r in rows} == {"SPRING"}


def test_summary_counts_service_coupons_once(engine) -> None:
    out = service.summary(engine)
    assert out["coupons_issued"] == 4  # P1 and the campaign's three
    assert out["coupons_redeemed"] == 3  # P1, C1's (ledger and order: once) and C2's (ledger)
    assert out["coupon_orders"] == 2
    assert out["coupon_redemption_rate"] == 0.75
    assert (out["coupon_members"], out["members"]) == (3, 4)  # C4 received none
    assert out["coupon_issue_rate"] == 0.75


def test_report_counts_service_coupons_at_the_members_home_store(engine) -> None:
    rows = service.kpi_report(engine, grain="month", by=["store", "channel"])
    got = {
        (str(r["period"]), r["store_code"], r["channel_code"]): (
            r["coupon_claims"],
            r["coupon_claims_redeemed"],
        )
        for r in rows
        if r["coupon_claims"]
    }
    assert got == {
        ("2025-01-01", "S001", "pos"): (1, 1),  # P1
        ("2025-02-01", "S001", None): (1, 1),  # C1's, issued 1 February local time
        ("2025-02-01", "S002", None): (2, 1),  # C2's (redeemed) and C3's
    }
    feb = service.kpi_report(engine, grain="month", start="2025-02-01")[0]
    assert (feb["coupon_claims"], feb["coupon_claims_redeemed"]) == (3, 2)
    assert feb["coupon_orders"] == 1
    assert feb["coupon_claims_growth_prev"] == 2.0  # 1 -> 3
