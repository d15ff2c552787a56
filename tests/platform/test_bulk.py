"""Bulk writes of a launch: COPY on PostgreSQL, executemany on SQLite — same rows either way,
in the session's transaction (a rollback leaves nothing behind)."""

from __future__ import annotations

from typing import Any, cast

import pytest
from sqlalchemy import Table, func, select
from sqlalchemy.orm import Session

from omniretail.marketing.campaign.models import Campaign, CampaignMember
from omniretail.platform.bulk import insert_rows

TABLE = cast(Table, CampaignMember.__table__)


def _campaign(s: Session) -> int:
    c = Campaign(
        code="BULK", name="批量", goal="repurchase", audience={"rule": {}}, content={},
        channels=["sms"],
    )  # fmt: skip
    s.add(c)
    s.commit()
    return c.id


def _rows(cid: int, n: int) -> list[dict[str, Any]]:
    return [
        {
            "campaign_id": cid,
            "customer_id": f"C{i:05d}",
            "arm": "holdout" if i % 10 == 0 else "treatment",
            "variant": None if i % 10 == 0 else "A",
            "stratum": "重要价值\t新客" if i == 1 else None,  # a tab and Chinese survive COPY
            "channel": None if i % 3 else "sms",
            "store_code": f"S{i % 7:04d}",
            "suppressed": "unreachable (no consent)\\n" if i == 2 else None,
            "run": 1 + i % 2,
        }
        for i in range(n)
    ]


def test_rows_are_written_as_given(session: Session) -> None:
    cid = _campaign(session)
    rows = _rows(cid, 12_001)
    assert insert_rows(session, TABLE, rows) == len(rows)
    session.commit()
    got = {
        (r.customer_id, r.run): r
        for r in session.execute(select(TABLE).where(TABLE.c.campaign_id == cid))
    }
    assert len(got) == len(rows)
    for want in (rows[0], rows[1], rows[2], rows[3], rows[-1]):
        row = got[(want["customer_id"], want["run"])]
        assert {k: getattr(row, k) for k in want} == want


def test_a_rollback_leaves_no_rows_and_bad_columns_are_named(session: Session) -> None:
    cid = _campaign(session)
    insert_rows(session, TABLE, _rows(cid, 500))
    session.rollback()
    n = session.scalar(select(func.count()).select_from(TABLE).where(TABLE.c.campaign_id == cid))
    assert n == 0
    assert insert_rows(session, TABLE, []) == 0
    with pytest.raises(ValueError, match="no column 'colour'"):
        insert_rows(session, TABLE, [{**_rows(cid, 1)[0], "colour": "red"}])
