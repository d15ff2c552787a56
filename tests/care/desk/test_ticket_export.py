"""One-row-per-ticket CSV from the desk list (console and API): the list's filters, headers
and words in the reader's language, a store-scoped caller's stores only, the subject hidden
without personal-data access, bad filters named."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient

from omniretail.care.desk import service
from omniretail.omnichannel.store import service as store_service
from omniretail.omnichannel.store.schemas import StoreCreate
from omniretail.platform import db
from tests.web.conftest import ANALYST, admin_console, console, login, password_hashes

__all__ = ["admin_console", "console", "password_hashes"]


def _seed() -> int:
    """Tickets at S1 (after-sales, high), S2 (service) and one without a store; S1's id."""
    now = datetime.now(UTC)
    with db.session_scope() as s:
        store_service.upsert_stores(
            s, stores=[StoreCreate(code=c, name=f"{c}店", city="武汉") for c in ("S1", "S2")]
        )
        t1 = service.open_ticket(s, subject="退款没到账", now=now - timedelta(days=3),
                                 priority="high", team="after-sales", store_code="S1",
                                 customer_id="C1")  # fmt: skip
        service.open_ticket(s, subject='=HYPERLINK("x")', now=now, store_code="S2")
        service.open_ticket(s, subject="会员积分没到", now=now, tier="gold")
        s.flush()
        return int(t1.id)


def _read(text: str) -> list[dict[str, str]]:
    assert text.startswith("\ufeff")  # Excel reads the Chinese
    return list(csv.DictReader(io.StringIO(text[1:])))


def test_console_export_with_filters_in_chinese(admin_console: TestClient) -> None:
    t1 = _seed()
    page = admin_console.get("/service?team=after-sales").text
    assert 'href="/service/tickets.csv?team=after-sales&amp;status=active"' in page
    assert "会员积分没到" not in page  # the queue is narrowed too
    r = admin_console.get("/service/tickets.csv?team=after-sales&status=active")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/csv")
    rows = _read(r.text)
    assert [row["工单号"] for row in rows] == [str(t1)]
    assert rows[0]["优先级"] == "高"
    assert rows[0]["状态"] == "处理中"
    assert rows[0]["首次响应达标"] == "否"  # three days without an answer
    everything = _read(admin_console.get("/service/tickets.csv").text)
    assert len(everything) == 3
    assert {row["会员等级"] for row in everything} >= {"金卡会员"}
    assert '\'=HYPERLINK("x")' in {row["主题"] for row in everything}  # not a formula
    bad = admin_console.get("/service/tickets.csv?priority=asap")
    assert bad.status_code == 422
    assert "asap" in bad.text


def test_analyst_export_hides_what_customers_wrote(console: TestClient) -> None:
    _seed()
    assert login(console, *ANALYST).status_code == 303  # type: ignore[attr-defined]
    rows = _read(console.get("/service/tickets.csv").text)
    assert len(rows) == 3
    assert {row["主题"] for row in rows} == {""}


def test_api_export_is_scoped_to_the_keys_stores(home: object) -> None:
    from omniretail.platform.auth import service as auth
    from omniretail.web.app import create_app

    db.create_all(db.get_engine())
    _seed()
    with db.session_scope() as s:
        s1 = store_service.store_ids_by_code(s, codes=["S1"])["S1"]
        _, scoped = auth.create_api_key(s, name="s1", scopes=["read"], store_ids=[s1])
        _, chain = auth.create_api_key(s, name="all", scopes=["read"])
    with TestClient(create_app()) as c:
        mine = c.get("/api/v1/care/tickets.csv", headers={"authorization": f"Bearer {scoped}"})
        assert mine.status_code == 200, mine.text
        assert sorted(r["门店"] for r in _read(mine.text)) == ["", "S1"]  # never S2's
        one = c.get(
            "/api/v1/care/tickets.csv?store_code=S2&status=open",
            headers={"authorization": f"Bearer {chain}"},
        )
        assert [r["门店"] for r in _read(one.text)] == ["S2"]
        bad = c.get(
            "/api/v1/care/tickets.csv?status=done", headers={"authorization": f"Bearer {chain}"}
        )
        assert bad.status_code == 422
        assert c.get("/api/v1/care/tickets.csv").status_code == 401
