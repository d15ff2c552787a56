"""数据接入 in the console: sources with per-batch counts, the quarantine with its Chinese
reasons, fix-and-check against the contract (nothing saved when it still fails), discard, and
who sees what (admins fix; all-store roles read without raw rows; store users see neither)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from omniretail.cdp.ingest.models import LandingBatch, QuarantineRecord
from omniretail.cdp.quality import service
from omniretail.omnichannel.store.models import City, Store
from omniretail.platform import db, migrate
from omniretail.platform.auth import service as auth
from omniretail.platform.auth.models import AuditLog
from tests.cdp.quality.helpers import standardize
from tests.cdp.quality.test_quarantine import _setup

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def _console(username: str, password: str) -> TestClient:
    from omniretail.web.app import create_app

    c = TestClient(create_app(), headers={"accept": "text/html"})
    token = CSRF.search(c.get("/login").text).group(1)  # type: ignore[union-attr]
    r = c.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": token},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    return c


def _post(c: TestClient, page: str, url: str, data: dict[str, str]) -> object:
    token = CSRF.search(c.get(page).text).group(1)  # type: ignore[union-attr]
    return c.post(url, data={**data, "csrf_token": token}, follow_redirects=False)


@pytest.fixture
def intake(home: Path, tmp_path: Path) -> None:
    migrate.upgrade()
    with db.session_scope() as s:
        city = City(code="420100", name="武汉", province="湖北")
        s.add(city)
        s.flush()
        store = Store(code="S001", name="门店S001", store_type="street", city_id=city.id)
        s.add(store)
        s.flush()
        auth.create_user(s, username="admin", password="admin-pass-1", role="admin")
        auth.create_user(s, username="ana", password="analyst-pass-1", role="analyst")
        auth.create_user(
            s, username="mgr", password="manager-pass-1", role="store_manager",
            store_ids=[store.id],
        )  # fmt: skip
    _setup(tmp_path)
    standardize()[0].close()


def _record(reason: str) -> int:
    with db.session_scope() as s:
        return service.list_quarantine(s, reason=reason)[0].id


def test_sources_show_what_each_batch_became(intake: None) -> None:
    c = _console("admin", "admin-pass-1")
    html = c.get("/data").text
    assert 'data-source="pos_sales"' in html
    with db.session_scope() as s:
        batch = s.scalars(select(LandingBatch)).one()
        assert batch.detail["quality"] == {
            "rows_read": 6, "accepted": 3, "fixed": 0, "duplicates": 0, "quarantined": 3,
        }  # fmt: skip
    row = re.search(rf'data-batch="{batch.batch_id}">(.*?)</tr>', html, re.S).group(1)  # type: ignore[union-attr]
    cells = [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td.*?</td>", row, re.S)]
    assert cells[3:] == ["6", "6", "3", "0", "0", "3", "3"]
    assert "缺少订单号（订单）" in html  # the reasons in Chinese
    q = c.get("/data/quarantine").text
    assert "无法识别的下单时间（订单）" in q
    assert "被该来源映射的规则拒绝" in q


def test_fix_is_checked_against_the_contract_and_saved_only_when_it_passes(
    intake: None,
) -> None:
    c = _console("admin", "admin-pass-1")
    rec_id = _record("invalid:order.ordered_at")
    page = f"/data/quarantine/{rec_id}"
    html = c.get(page).text
    assert 'name="col:销售时间"' in html
    still = _post(c, page, f"{page}/fix", {"col:销售时间": "2025-13-01 10:00:00"})
    assert still.status_code == 422  # type: ignore[attr-defined]
    assert "修正后仍被拒收：无法识别的下单时间（订单）" in still.text  # type: ignore[attr-defined]
    with db.session_scope() as s:
        rec = s.get(QuarantineRecord, rec_id)
        assert rec is not None
        assert rec.status == "open"
        assert rec.raw["销售时间"] == "2025-13-45 25:00:00"  # nothing half-applied
    ok = _post(
        c, page, f"{page}/fix", {"col:销售时间": "2025-03-03 12:00:00", "note": "收银机时钟"}
    )
    assert ok.status_code == 303  # type: ignore[attr-defined]
    assert "将在下一次数据处理时进入标准表" in c.get(ok.headers["location"]).text  # type: ignore[attr-defined]
    eng, _ = standardize()
    try:
        assert eng.scalar("SELECT count(*) FROM std_orders WHERE order_id = 'T3'") == 1
    finally:
        eng.close()
    with db.session_scope() as s:
        assert s.get(QuarantineRecord, rec_id).status == "reprocessed"  # type: ignore[union-attr]
        audit = s.scalars(select(AuditLog).where(AuditLog.action == "quality.fix")).one()
        assert audit.actor == "admin"
        assert audit.reason == "收银机时钟"


def test_discard_needs_a_reason_and_stays_discarded(intake: None) -> None:
    c = _console("admin", "admin-pass-1")
    rec_id = _record("missing_sku")
    page = f"/data/quarantine/{rec_id}"
    bad = _post(c, page, f"{page}/discard", {"note": " "})
    assert bad.status_code == 422
    assert "请说明放弃此记录的原因" in bad.text
    ok = _post(c, page, f"{page}/discard", {"note": "测试小票"})
    assert ok.status_code == 303  # type: ignore[attr-defined]
    standardize()[0].close()  # the row is still refused; the decision holds
    with db.session_scope() as s:
        assert s.get(QuarantineRecord, rec_id).status == "discarded"  # type: ignore[union-attr]
        assert service.report(s, source="pos_sales")[0]["quarantine_open"] == 2
    again = _post(c, page, f"{page}/discard", {"note": "再次"})
    assert again.status_code == 409
    assert "此记录已处理" in again.text


def test_who_sees_the_intake_and_the_raw_rows(intake: None) -> None:
    rec_id = _record("missing_sku")
    analyst = _console("ana", "analyst-pass-1")
    assert analyst.get("/data").status_code == 200
    html = analyst.get(f"/data/quarantine/{rec_id}").text
    assert "只有管理员可以查看和修正" in html
    assert "fix-form" not in html
    assert "T4" not in html
    token = CSRF.search(html).group(1)  # type: ignore[union-attr]
    r = analyst.post(f"/data/quarantine/{rec_id}/discard", data={"note": "x", "csrf_token": token})
    assert r.status_code == 403
    manager = _console("mgr", "manager-pass-1")
    r = manager.get("/data", follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == "/data/identity"
    assert manager.get("/data/quarantine").status_code == 403
    assert manager.get(f"/data/quarantine/{rec_id}").status_code == 403
