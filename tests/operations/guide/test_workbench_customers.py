"""The workbench's 我的客户: the count is the clerk's bound customers (not the 50 on the page),
the list pages through all of them and filters by a part of the customer id and by how the
relationship began; a bad filter is said in Chinese and nothing is hidden by it."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from omniretail.operations.guide import service
from omniretail.platform import db
from omniretail.platform.auth import service as auth_service
from tests.operations.guide.factories import guide_world

SHOWN = re.compile(r'data-customer="(C\d+)"')
KPI = re.compile(r'data-kpi="customers">\s*<div class="kpi-label">[^<]*</div>\s*'
                 r'<div class="kpi-value">(\d+)</div>')  # fmt: skip


def _world() -> list[str]:
    t0 = datetime.now(UTC) - timedelta(days=30)
    with db.session_scope() as s:
        ids = guide_world(s, customers=63)
        for i, cid in enumerate(ids[:61]):  # G1: 61 customers, the later the newer
            service.claim(s, customer_id=cid, staff_code="G1",
                          source="share_link" if i % 10 == 0 else "store_qr",
                          at=t0 + timedelta(minutes=i))  # fmt: skip
        for cid in ids[61:]:
            service.claim(s, customer_id=cid, staff_code="G2", source="store_qr", at=t0)
        auth_service.create_user(s, username="G1", password="clerk-pass-1", role="clerk",
                                 store_ids=None)  # fmt: skip
    return ids


def _as_clerk(client) -> None:  # type: ignore[no-untyped-def]
    client.post("/api/v1/auth/logout")
    r = client.post("/api/v1/auth/login", json={"username": "G1", "password": "clerk-pass-1"})
    assert r.status_code == 200, r.text


def test_my_customers_are_counted_paged_and_filtered(client) -> None:  # type: ignore[no-untyped-def]
    ids = _world()
    _as_clerk(client)
    mine = list(reversed(ids[:61]))  # latest bound first

    page = client.get("/guide/me").text
    kpi = KPI.search(page)
    assert kpi
    assert kpi.group(1) == "61"
    assert SHOWN.findall(page) == mine[:50]
    assert 'data-total="61"' in page
    assert "第 1–50 位，共 61 位" in page
    assert 'href="/guide/me?staff=G1&page=2"' in page.replace("&amp;", "&")

    second = client.get("/guide/me?page=2").text
    assert SHOWN.findall(second) == mine[50:]
    assert "第 51–61 位，共 61 位" in second
    assert 'data-testid="next-page"' not in second
    assert 'data-testid="prev-page"' in second
    assert SHOWN.findall(client.get("/guide/me?page=99").text) == mine[50:]  # the last page
    assert not {ids[61], ids[62]} & set(SHOWN.findall(page + second))  # G2's customers

    one = client.get(f"/guide/me?q={ids[7][-3:].lower()}").text
    assert SHOWN.findall(one) == [ids[7]]
    assert KPI.search(one).group(1) == "61"  # type: ignore[union-attr]
    assert "共 1 位（全部 61 位）" in one

    shared = client.get("/guide/me?source=share_link").text
    assert SHOWN.findall(shared) == [ids[i] for i in (60, 50, 40, 30, 20, 10, 0)]
    assert 'value="share_link" selected' in shared

    none = client.get("/guide/me?q=C999").text
    assert SHOWN.findall(none) == []
    assert "没有符合条件的客户" in none

    bad = client.get("/guide/me?source=bogus").text
    assert "未知的绑定来源" in bad  # said on the page, in Chinese
    assert SHOWN.findall(bad) == mine[:50]  # and the list unfiltered


def test_customers_page_counts_in_the_store(sqlite_session) -> None:  # type: ignore[no-untyped-def]
    ids = guide_world(sqlite_session, customers=5)
    t0 = datetime.now(UTC) - timedelta(days=1)
    for i, cid in enumerate(ids):
        service.claim(sqlite_session, customer_id=cid, staff_code="G1", source="store_qr",
                      at=t0 + timedelta(minutes=i))  # fmt: skip
    p = service.customers_page(sqlite_session, staff_code="G1", page=2, size=2)
    assert ([c.customer_id for c in p.items], p.total, p.bound, p.page, p.pages, p.first) == (
        [ids[2], ids[1]], 5, 5, 2, 3, 3)  # fmt: skip
    empty = service.customers_page(sqlite_session, staff_code="G3")
    assert (empty.items, empty.total, empty.pages, empty.first) == ([], 0, 1, 0)
