"""Finding 4 of the security review: a re-synced order earns (and is reversed) once whatever
the spelling of its source and order id (case, stray white space, full-width characters)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal as D

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from omniretail.marketing.loyalty import ledger, service
from omniretail.marketing.loyalty.models import PointsEntry

T0 = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
C = "C000000077"


def _earn(s: Session, source: str, order: str) -> bool:
    r = service.earn(
        s, customer_id=C, source=source, order_id=order, amount=D("100"), occurred_at=T0, now=T0
    )
    return r.replayed


def test_spellings_of_one_order_earn_once(session: Session) -> None:
    assert not _earn(session, "pos", "Order-7a")
    for source, order in [
        ("POS", "Order-7a"),
        (" pos", "order-7A"),
        ("Pos ", " ORDER-7A "),
        ("ｐｏｓ", "Ｏｒｄｅｒ－７ａ"),  # full width
    ]:
        assert _earn(session, source, order), (source, order)
    n = session.scalar(select(func.count()).select_from(PointsEntry))
    assert n == 1
    assert ledger.get_account(session, C).balance == 100
    # the return names the order its own way: still found, and replayed once
    first = ledger.reverse_earn(
        session, customer_id=C, source="POS", order_id=" order-7A", return_id="R-1",
        returned_amount=D("50"), now=T0,
    )  # fmt: skip
    again = ledger.reverse_earn(
        session, customer_id=C, source="pos", order_id="ORDER-7a", return_id="r-1 ",
        returned_amount=D("50"), now=T0,
    )  # fmt: skip
    assert (first.replayed, again.replayed) == (False, True)
    assert ledger.get_account(session, C).balance == 50
    ledger.redeem_points(session, customer_id=C, points=10, ref="Pay-1", now=T0)
    assert ledger.redeem_points(session, customer_id=C, points=10, ref=" pay-1", now=T0).replayed
    ledger.adjust_points(session, customer_id=C, points=5, ref="Fix-1", note="x", now=T0)
    assert ledger.adjust_points(
        session, customer_id=C, points=5, ref="FIX-1", note="x", now=T0
    ).replayed
    ledger.refund_redemption(session, customer_id=C, ref="PAY-1", return_id="Back", now=T0)
    assert ledger.refund_redemption(
        session, customer_id=C, ref="pay-1", return_id=" back", now=T0
    ).replayed
    assert ledger.verify(session, ledger.get_account(session, C))["ok"]
