"""KPIs per store as well as per clerk: the HQ page sums every clerk of a store (not only the
ranked ones), pools the reply rate over the store's chats and the first reply over its answered
ones, and sums incremental sales over the clerks that have a holdout, saying how many do not."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from omniretail.operations.guide import report, service
from omniretail.platform import db
from tests.operations.guide.factories import guide_world


def _clerk(code: str, store: str, **kw: Any) -> dict[str, Any]:
    row = {"staff_code": code, "store_code": store, "bound": 0, "new_30d": 0, "deleted_30d": 0,
           "tasks": 0, "closed": 0, "orders": 0, "net_sales": 0.0, "returns": 0.0,
           "incremental": None, "chats": 0, "replied": 0, "first_reply_minutes": None}  # fmt: skip
    return {**row, **kw}


def test_store_figures_pool_their_clerks() -> None:
    rows = [
        _clerk("G1", "S1", bound=10, tasks=4, closed=3, orders=5, net_sales=100.5, returns=-10.0,
               incremental=40.0, chats=10, replied=8, first_reply_minutes=10.0),
        _clerk("G2", "S1", bound=5, tasks=6, closed=1, orders=1, net_sales=20.25,
               chats=2, replied=2, first_reply_minutes=40.0),
        _clerk("G3", "S2", bound=7, new_30d=2, deleted_30d=1, net_sales=300.0, incremental=-5.5),
    ]  # fmt: skip
    s2, s1 = report.store_rollup(rows)  # by net sales
    assert (s1["store_code"], s1["clerks"], s1["bound"], s1["tasks"], s1["closed"]) == (
        "S1", 2, 15, 10, 4)  # fmt: skip
    assert s1["completion"] == pytest.approx(0.4)
    assert (s1["net_sales"], s1["returns"], s1["orders"]) == (120.75, -10.0, 6)
    assert s1["reply_rate"] == pytest.approx(10 / 12)  # pooled chats, not a mean of rates
    assert s1["first_reply_minutes"] == pytest.approx((8 * 10 + 2 * 40) / 10)
    assert (s1["incremental"], s1["no_holdout"]) == (40.0, 1)
    assert (s2["bound"], s2["new_30d"], s2["deleted_30d"], s2["incremental"]) == (7, 2, 1, -5.5)
    assert (s2["reply_rate"], s2["first_reply_minutes"], s2["completion"]) == (None, None, None)


def test_hq_page_shows_every_clerks_store(client) -> None:  # type: ignore[no-untyped-def]
    at = datetime.now(UTC) - timedelta(days=2)
    with db.session_scope() as s:
        ids = guide_world(s, customers=6)
        for cid, clerk in zip(ids, ("G1", "G1", "G2", "G3", "G3", "G3"), strict=True):
            service.claim(s, customer_id=cid, staff_code=clerk, source="store_qr", at=at)
    page = client.get("/guide", headers={"accept": "text/html"}).text
    rows = dict(re.findall(r'<tr data-store="(\w+)">\s*<td[^>]*>\w+</td>\s*<td>\d+</td>\s*'
                           r"<td>(\d+)</td>", page))  # fmt: skip
    assert rows == {"S1": "3", "S2": "3"}
    assert re.search(r'data-kpi="bound">\s*<div class="kpi-label">[^<]*</div>\s*'
                     r'<div class="kpi-value">6</div>', page)  # fmt: skip
