"""促销活动 in the console: the five kinds created from the form (times in the chain's local
time), Chinese errors naming the problem with nothing created, the list with each one's state
and figures, read-only roles refused."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from omniretail.marketing.promotion import service
from omniretail.platform import db, migrate
from omniretail.platform.auth import service as auth
from omniretail.platform.auth.models import AuditLog
from tests.cdp.profile.test_pages import _console

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
WHEN = {"starts_at": "2026-11-01T00:00", "ends_at": "2036-11-12T00:00"}


def _post(c: TestClient, data: dict[str, str]):  # type: ignore[no-untyped-def]
    token = CSRF.search(c.get("/promotions").text).group(1)  # type: ignore[union-attr]
    return c.post("/promotions", data={**data, "csrf_token": token}, follow_redirects=False)


@pytest.fixture
def users(home) -> None:  # type: ignore[no-untyped-def]
    migrate.upgrade()
    with db.session_scope() as s:
        auth.create_user(s, username="admin", password="admin-pass-1", role="admin")
        auth.create_user(s, username="ana", password="analyst-pass-1", role="analyst")


def test_create_and_watch_the_five_kinds(users: None) -> None:
    c = _console("admin", "admin-pass-1")
    forms = [
        {"kind": "spend_save", "code": "D11", "name": "双十一满减", "tiers": "100:10，200:30"},
        {"kind": "percent", "code": "VIP8", "name": "会员八折", "percent": "20"},
        {"kind": "flash_sale", "code": "FS1", "name": "鸭脖秒杀", "sku": "100001",
         "price": "9.9", "stock_cap": "500", "per_customer_qty": "2"},
        {"kind": "bundle", "code": "B1", "name": "零食组合", "items": "100001:1, 100002:1",
         "price": "30"},
        {"kind": "team_buy", "code": "T1", "name": "三人团", "sku": "100003", "price": "19.9",
         "group_size": "3", "time_limit_minutes": "1440"},
    ]  # fmt: skip
    for form in forms:
        r = _post(c, {**form, **WHEN})
        assert r.status_code == 303, r.text
    html = c.get("/promotions").text
    assert html.count("进行中") >= 5
    assert "已售 0 / 500 件" in html
    assert "团：0 个进行中" in html
    with db.session_scope() as s:
        kinds = {p.code: (p.kind, p.rules) for p in service.list_promotions(s)}
        n = len(s.scalars(select(AuditLog).where(AuditLog.action == "promotion.create")).all())
    assert kinds["D11"] == ("holiday", {"theme": "双十一满减", "tiers": [
        {"spend": "100", "save": "10"}, {"spend": "200", "save": "30"}]})  # fmt: skip
    assert kinds["FS1"][1]["per_customer_qty"] == 2
    assert n == 5


@pytest.mark.parametrize(
    ("form", "message"),
    [
        (
            {"kind": "flash_sale", "sku": "100001", "price": "9.9"},
            "限时抢购需要填写抢购价的库存数量",
        ),
        ({"kind": "percent", "percent": "120"}, "折扣比例须在 0 到 100 之间"),
        ({"kind": "team_buy", "sku": "1", "price": "x"}, "促销价须为数字"),
        (
            {"kind": "percent", "percent": "10", "ends_at": "2026-10-01T00:00"},
            "结束时间须晚于开始时间",
        ),
    ],
)
def test_bad_input_is_refused_in_chinese(users: None, form: dict[str, str], message: str) -> None:
    c = _console("admin", "admin-pass-1")
    r = _post(c, {"code": "BAD", "name": "坏", **WHEN, **form})
    assert r.status_code == 422
    assert message in r.text
    with db.session_scope() as s:
        assert service.list_promotions(s) == []


def test_an_analyst_watches_but_does_not_create(users: None) -> None:
    analyst = _console("ana", "analyst-pass-1")
    assert 'data-testid="promotion-form"' not in analyst.get("/promotions").text
    r = _post(analyst, {"kind": "percent", "code": "X1", "name": "x", "percent": "10", **WHEN})
    assert r.status_code == 403
