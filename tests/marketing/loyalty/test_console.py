"""Loyalty in the console: add a tier (Chinese errors naming the field), adjust a member's
points and tier with a reason (audited; a form sent twice moves points once), read-only roles
refused."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from omniretail.marketing.loyalty import service
from omniretail.platform import db, migrate
from omniretail.platform.auth import service as auth
from omniretail.platform.auth.models import AuditLog
from tests.cdp.profile.test_pages import _console

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
TIER = {
    "code": "gold", "name": "金卡会员", "rank": "2", "min_points": "3000",
    "window_days": "365", "earn_multiplier": "1.5", "birthday_multiplier": "2",
    "benefits": "生日礼券\n专属客服",
}  # fmt: skip


def _post(c: TestClient, page: str, url: str, data: dict[str, str]):  # type: ignore[no-untyped-def]
    token = CSRF.search(c.get(page).text).group(1)  # type: ignore[union-attr]
    return c.post(url, data={**data, "csrf_token": token}, follow_redirects=False)


@pytest.fixture
def users(home) -> None:  # type: ignore[no-untyped-def]
    migrate.upgrade()
    with db.session_scope() as s:
        auth.create_user(s, username="admin", password="admin-pass-1", role="admin")
        auth.create_user(s, username="ana", password="analyst-pass-1", role="analyst")


def test_tiers_points_and_tier_changes_in_the_console(users: None) -> None:
    c = _console("admin", "admin-pass-1")
    bad = _post(c, "/loyalty", "/loyalty/tiers", {**TIER, "earn_multiplier": "0"})
    assert bad.status_code == 422
    assert "积分倍数：须大于 0" in bad.text
    ok = _post(c, "/loyalty", "/loyalty/tiers", TIER)
    assert ok.status_code == 303
    again = _post(c, "/loyalty", "/loyalty/tiers", TIER)
    assert "等级代码 gold 已存在" in again.text
    with db.session_scope() as s:
        assert [t.benefits for t in service.tiers(s)] == [["生日礼券", "专属客服"]]

    page = "/loyalty/members/C000000042"
    assert "该会员还没有积分" in c.get(page).text
    form = {"points": "200", "reason": "门店补录小票", "token": "t1"}
    assert _post(c, page, f"{page}/adjust", form).status_code == 303
    assert _post(c, page, f"{page}/adjust", form).status_code == 303  # sent twice: once
    short = _post(c, page, f"{page}/adjust", {"points": "-500", "reason": "x", "token": "t2"})
    assert short.status_code == 409
    assert "该会员只有 200 积分，不能扣减 500" in short.text
    no_reason = _post(c, page, f"{page}/tier", {"tier_code": "gold", "reason": ""})
    assert "请填写原因" in no_reason.text
    assert (
        _post(c, page, f"{page}/tier", {"tier_code": "gold", "reason": "客诉补偿"}).status_code
        == 303
    )
    html = c.get(page).text
    assert "金卡会员" in html
    with db.session_scope() as s:
        view = service.account_view(s, customer_id="C000000042")
        assert (view.balance, view.tier_code, view.verified) == (200, "gold", True)
        actions = s.scalars(select(AuditLog.action).order_by(AuditLog.id)).all()
    assert [a for a in actions if a.startswith("loyalty.")] == [
        "loyalty.tier_create", "loyalty.adjust", "loyalty.tier_set",
    ]  # fmt: skip

    analyst = _console("ana", "analyst-pass-1")
    r = _post(analyst, page, f"{page}/adjust", {"points": "5", "reason": "x", "token": "t3"})
    assert r.status_code == 403
    assert "您的角色只能查看" in r.text
