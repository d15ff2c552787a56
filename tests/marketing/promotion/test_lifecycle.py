"""Stopping and editing promotions from the console: what each state allows (a finished or
stopped promotion changes no more), Chinese confirmations and refusals with nothing changed,
every change audited with its values before, and a stopped promotion gone from checkout."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi.testclient import TestClient
from sqlalchemy import select

from omniretail.marketing.promotion import service
from omniretail.platform import db
from omniretail.platform.auth.models import AuditLog
from omniretail.platform.db import utcnow
from tests.cdp.profile.test_pages import _console
from tests.marketing.promotion.test_console import CSRF, _post, users  # noqa: F401

RUNNING = {"starts_at": "2026-11-01T00:00", "ends_at": "2036-11-12T00:00"}
PLANNED = {"starts_at": "2035-01-01T10:00", "ends_at": "2035-01-31T22:00"}
ENDED = {"starts_at": "2026-01-01T00:00", "ends_at": "2026-01-02T00:00"}


def _act(c: TestClient, code: str, action: str, data: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    token = CSRF.search(c.get("/promotions").text).group(1)  # type: ignore[union-attr]
    return c.post(
        f"/promotions/{code}/{action}",
        data={**(data or {}), "csrf_token": token},
        follow_redirects=False,
    )


def _promo(code: str):  # type: ignore[no-untyped-def]
    with db.session_scope() as s:
        p = service.get_promotion(s, code=code)
        s.expunge(p)
        return p


def _trail(action: str) -> list[dict[str, object]]:
    with db.session_scope() as s:
        return [
            a.detail or {}
            for a in s.scalars(
                select(AuditLog).where(AuditLog.action == action).order_by(AuditLog.id)
            )
        ]


def test_edit_and_stop_follow_the_promotions_state(users: None) -> None:  # noqa: F811
    c = _console("admin", "admin-pass-1")
    flash = {"kind": "flash_sale", "sku": "100001", "price": "9.9", "stock_cap": "500"}
    for code, when, extra in (
        ("FS1", RUNNING, flash),
        ("NY", PLANNED, {"kind": "percent", "percent": "20"}),
        ("OLD", ENDED, {"kind": "percent", "percent": "10"}),
    ):
        assert _post(c, {"code": code, "name": f"促销{code}", **when, **extra}).status_code == 303
    page = c.get("/promotions").text
    assert "确定立即停止促销「促销FS1」吗？停止后结账不再享受此优惠" in page
    assert page.count('data-testid="stop-promotion"') == 2  # running and planned, not ended
    assert "不可修改" in page
    with db.session_scope() as s:  # three units already sold
        service.allocate_flash_stock(s, code="FS1", order_id="O1", customer_id="C1", quantity=3)

    # running: name, end and units change; the start does not; units not below those sold
    r = _act(c, "FS1", "edit", {"name": "鸭脖秒杀", "ends_at": "2036-12-01T20:00",
                                "starts_at": RUNNING["starts_at"], "stock_cap": "600"})  # fmt: skip
    assert r.status_code == 303, r.text
    p = _promo("FS1")
    assert (p.name, p.stock_cap) == ("鸭脖秒杀", 600)
    assert p.ends_at.replace(tzinfo=p.ends_at.tzinfo or UTC) == datetime(
        2036, 12, 1, 12, tzinfo=UTC
    )
    assert _trail("promotion.update") == [{
        "before": {"name": "促销FS1", "ends_at": "2036-11-11T16:00:00+00:00", "stock_cap": 500},
        "after": {"name": "鸭脖秒杀", "ends_at": "2036-12-01T12:00:00+00:00", "stock_cap": 600},
    }]  # fmt: skip
    for form, message in (
        ({"name": "改名", "starts_at": "2030-01-01T00:00"}, "促销开始后不能修改开始时间"),
        ({"name": "改名", "stock_cap": "2"}, "抢购数量不能少于已售出的 3 件"),
        ({"name": "改名", "ends_at": "2026-11-02T00:00"}, "新的结束时间已过：请改为停止促销"),
        ({"name": " "}, "请填写促销名称"),
    ):
        r = _act(c, "FS1", "edit", form)
        assert r.status_code == 422, form
        assert message in r.text
        assert _promo("FS1").name == "鸭脖秒杀"  # nothing half-applied

    # planned: the start may move too
    r = _act(c, "NY", "edit", {"name": "新年八折", "starts_at": "2035-01-02T10:00",
                               "ends_at": PLANNED["ends_at"]})  # fmt: skip
    assert r.status_code == 303, r.text
    assert _promo("NY").starts_at.replace(tzinfo=UTC) == datetime(2035, 1, 2, 2, tzinfo=UTC)

    # stop: gone from checkout at once, audited; then it changes no more
    r = _act(c, "FS1", "stop", {"reason": "库存不足"})
    assert r.status_code == 303, r.text
    assert r.headers["location"] == "/promotions?stopped=FS1"
    with db.session_scope() as s:
        assert "FS1" not in {p.code for p in service.list_promotions(s, active_at=utcnow())}
    assert [t["state_before"] for t in _trail("promotion.stop")] == ["running"]
    for code, action, message in (
        ("FS1", "stop", "促销 FS1 已停止，不能再修改或停止"),
        ("FS1", "edit", "促销 FS1 已停止，不能再修改或停止"),
        ("OLD", "stop", "促销 OLD 已结束，不能再修改或停止"),
        ("OLD", "edit", "促销 OLD 已结束，不能再修改或停止"),
    ):
        r = _act(c, code, action, {"name": "再改"})
        assert r.status_code == 409, (code, action)
        assert message in r.text
    assert _promo("OLD").name == "促销OLD"
    assert len(_trail("promotion.stop")) == 1
    assert "促销已停止" in c.get("/promotions?stopped=FS1").text


def test_an_analyst_cannot_stop_or_edit(users: None) -> None:  # noqa: F811
    admin = _console("admin", "admin-pass-1")
    form = {"code": "VIP8", "name": "会员八折", "kind": "percent", "percent": "20", **RUNNING}
    assert _post(admin, form).status_code == 303
    analyst = _console("ana", "analyst-pass-1")
    assert 'data-testid="stop-promotion"' not in analyst.get("/promotions").text
    for action in ("stop", "edit"):
        r = _act(analyst, "VIP8", action, {"name": "x"})
        assert r.status_code == 403
        assert "促销由营销人员和管理员为全连锁修改" in r.text
    assert _promo("VIP8").status == "active"
    assert _promo("VIP8").name == "会员八折"
