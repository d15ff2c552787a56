"""``issue_batch`` in bulk on SQLite and PostgreSQL: COPY and one array-parameter lookup on
PostgreSQL, the same coupons, counts and limits as the INSERT path on SQLite."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from omniretail.marketing.coupon import codes, service
from omniretail.marketing.coupon.models import Coupon
from tests.marketing.coupon.factories import NOW, template

N = 5_001  # more than two 2,000-row writes and one 5,000-value IN list (bulk.CHUNK)


@pytest.fixture
def statements(session: Session) -> Iterator[list[str]]:
    """Statements sent through SQLAlchemy (COPY goes around it), as 'VERB table'."""
    seen: list[str] = []
    engine = session.get_bind()

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(" ".join(statement.split()[:3]).upper())

    event.listen(engine, "before_cursor_execute", record)
    yield seen
    event.remove(engine, "before_cursor_execute", record)


def test_a_big_batch_issues_one_unique_code_each_and_stays_idempotent(
    session: Session, statements: list[str]
) -> None:
    pg = session.get_bind().dialect.name == "postgresql"
    template(session, "BULK", total_limit=N + 100)
    ids = [f"B{i:06d}" for i in range(N)]
    statements.clear()
    res = service.issue_batch(
        session, campaign_id="wk-1", customer_ids=ids + ids[:3], template="BULK", now=NOW
    )
    assert (res.issued, res.already_issued, res.refused) == (N, 0, 0)
    inserts = [s for s in statements if s == "INSERT INTO COUPON"]
    lookups = [s for s in statements if s.startswith("SELECT COUPON.CUSTOMER_ID")]
    assert (len(inserts), len(lookups)) == ((0, 1) if pg else (3, 2))
    rows = session.execute(
        select(
            Coupon.code, Coupon.customer_id, Coupon.status, Coupon.source, Coupon.valid_until
        ).where(Coupon.campaign_id == "wk-1")
    ).all()
    assert sorted(r.customer_id for r in rows) == ids
    assert len({r.code for r in rows}) == N
    assert all(codes.is_well_formed(r.code) for r in rows)
    assert {(r.status, r.source) for r in rows} == {("issued", "campaign")}
    assert service.get_template(session, code="BULK").issued_count == N

    # a rerun plus 150 new customers: only 100 fit under the total limit
    more = ids + [f"B{i:06d}" for i in range(N, N + 150)]
    again = service.issue_batch(
        session, campaign_id="wk-1", customer_ids=more, template="BULK", now=NOW
    )
    assert (again.issued, again.already_issued, again.refused) == (100, N, 50)
    n = session.scalar(select(func.count()).select_from(Coupon).where(Coupon.campaign_id == "wk-1"))
    assert n == N + 100
