"""数据接入 · 身份合并 in the console: the explanation in Chinese, merge and split with a
reason (audited; Chinese errors, nothing applied on an error), scoped to the user's stores."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from omniretail.platform import db, migrate
from omniretail.platform.auth import service
from omniretail.platform.auth.models import AuditLog
from tests.cdp.profile import world
from tests.cdp.profile.test_pages import _console

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def _post(c: TestClient, page: str, url: str, data: dict[str, object]) -> object:
    token = CSRF.search(c.get(page).text).group(1)  # type: ignore[union-attr]
    return c.post(url, data={**data, "csrf_token": token}, follow_redirects=False)


@pytest.fixture
def built(home) -> None:  # type: ignore[no-untyped-def]
    migrate.upgrade()
    with db.session_scope() as s:
        service.create_user(s, username="admin", password="admin-pass-1", role="admin")
    world.build()


def _customer(c: TestClient, q: str) -> str:
    html = c.get(f"/data/identity?q={q}").text
    return re.search(r'href="/customers/(C\d{9})"', html).group(1)  # type: ignore[union-attr]


def test_explain_merge_and_split_in_the_console(built: None) -> None:
    c = _console("admin", "admin-pass-1")
    a, b = _customer(c, "M1"), _customer(c, "M2")
    html = c.get(f"/data/identity?q={a}").text
    assert 'data-testid="links"' in html
    assert "同一手机号" in html
    assert "deterministic:" not in html  # rules in words, not codes
    page = f"/data/identity?q={a}"
    no_reason = _post(c, page, "/data/identity/merge", {"customer_id": a, "other": b, "reason": ""})
    assert no_reason.status_code == 422
    assert "请填写原因" in no_reason.text
    itself = _post(c, page, "/data/identity/merge", {"customer_id": a, "other": a, "reason": "x"})
    assert itself.status_code == 422
    assert "不能把客户与自己合并" in itself.text
    unknown = _post(
        c, page, "/data/identity/merge", {"customer_id": a, "other": "X9", "reason": "x"}
    )
    assert unknown.status_code == 404
    assert "找不到客户" in unknown.text
    merged = _post(
        c, page, "/data/identity/merge", {"customer_id": a, "other": b, "reason": "客服核实"}
    )
    assert merged.status_code == 303  # type: ignore[attr-defined]
    assert "已合并" in c.get(merged.headers["location"]).text  # type: ignore[attr-defined]
    split = _post(
        c, page, "/data/identity/unmerge",
        {"customer_id": a, "record": ["wecom:w1"], "reason": "误合并"},
    )  # fmt: skip
    assert split.status_code == 303  # type: ignore[attr-defined]
    done = c.get(split.headers["location"]).text  # type: ignore[attr-defined]
    assert "将在下一次数据处理时拆出" in done
    assert "永不合并" in done
    with db.session_scope() as s:
        actions = s.scalars(select(AuditLog.action).order_by(AuditLog.id)).all()
    assert [x for x in actions if x.startswith("identity.")] == [
        "identity.merge",
        "identity.unmerge",
    ]


def test_a_store_manager_works_on_own_customers_only(built: None) -> None:
    admin = _console("admin", "admin-pass-1")
    a = _customer(admin, "M1")  # home store S001
    manager = _console("mgr1", "manager-pass-1")
    html = manager.get(f"/data/identity?q={a}").text
    assert 'data-testid="records"' in html
    assert 'data-testid="decisions"' not in html  # other stores' records: not shown
    assert "/data/quarantine" not in html  # no intake tabs
    analyst = _console("ana", "analyst-pass-1")
    html = analyst.get(f"/data/identity?q={a}").text
    assert "您的角色只能查看" in html
