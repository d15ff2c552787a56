"""Configurable points rules (积分规则): the ledger earns by the channel's rate (else the base
rate) times the tier multiplier, capped per order, buckets living the configured days; bad rules
are refused naming the field (in Chinese in the console) with nothing changed; every change is
audited with the rules before and after."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from omniretail.marketing.loyalty import ledger
from omniretail.marketing.loyalty import rules as points_rules
from omniretail.marketing.loyalty.errors import PointsInvalid
from omniretail.marketing.loyalty.models import PointsEntry
from omniretail.platform import db
from omniretail.platform.auth.models import AuditLog
from tests.cdp.profile.test_pages import _console
from tests.marketing.loyalty.test_console import _post, users  # noqa: F401
from tests.marketing.loyalty.test_ledger import earn

T0 = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


def _rules(**kw: object) -> points_rules.Rules:
    base = {"base_rate": "1", "channel_rates": {}, "expiry_days": 365, "max_points_per_order": None}
    return points_rules.validate(**{**base, **kw})  # type: ignore[arg-type]


def test_the_ledger_earns_by_the_rules(session: Session) -> None:
    assert earn(session, "P-0", "88.80").points == 88  # no rules yet: 1 point per yuan
    points_rules.set_rules(
        session,
        rules=_rules(
            base_rate="1.5",
            channel_rates={"miniprogram": "3"},
            expiry_days="90",
            max_points_per_order="500",
        ),  # fmt: skip
        actor="ops",
        reason="双十二",
    )
    assert earn(session, "P-1", "88.80").points == 133  # floor(88.80 × 1.5)
    assert earn(session, "M-1", "88.80", source="miniprogram").points == 266  # its own rate
    assert earn(session, "M-2", "1000", source="miniprogram").points == 500  # the cap
    expiry = {
        e.ref: e.expires_at.replace(tzinfo=e.expires_at.tzinfo or UTC)
        for e in session.scalars(select(PointsEntry).where(PointsEntry.kind == "earn"))
    }
    assert expiry["P-0"] == T0 + timedelta(days=365)  # earned before: keeps its expiry
    assert expiry["P-1"] == expiry["M-1"] == T0 + timedelta(days=90)
    # a replayed order earns nothing new, whatever the rules say now
    points_rules.set_rules(session, rules=_rules(base_rate="10"), actor="ops")
    again = earn(session, "P-1", "88.80")
    assert (again.replayed, again.points) == (True, 133)
    assert ledger.verify(session, ledger.get_account(session, "C000000042"))["ok"]
    trail = [
        a.detail
        for a in session.scalars(
            select(AuditLog).where(AuditLog.action == "loyalty.points_rules").order_by(AuditLog.id)
        )
    ]
    assert trail[0] == {
        "before": {"base_rate": "1", "channel_rates": {}, "expiry_days": 365,
                   "max_points_per_order": None},
        "after": {"base_rate": "1.50", "channel_rates": {"miniprogram": "3.00"},
                  "expiry_days": 90, "max_points_per_order": 500},
    }  # fmt: skip
    assert trail[1]["before"]["base_rate"] == "1.50"


@pytest.mark.parametrize(
    ("bad", "field"),
    [
        ({"base_rate": "-1"}, "base_rate"),
        ({"base_rate": "abc"}, "base_rate"),
        ({"base_rate": "1.234"}, "base_rate"),
        ({"channel_rates": {"pos": "101"}}, "channel_rates"),
        ({"channel_rates": {"Bad Code": "1"}}, "channel_rates"),
        ({"expiry_days": "0"}, "expiry_days"),
        ({"expiry_days": "x"}, "expiry_days"),
        ({"max_points_per_order": "0"}, "max_points_per_order"),
    ],
)
def test_bad_rules_name_the_field(bad: dict[str, object], field: str) -> None:
    with pytest.raises(PointsInvalid) as err:
        _rules(**bad)
    assert err.value.field == field


def test_the_console_sets_the_rules_in_chinese(users: None) -> None:  # noqa: F811
    c = _console("admin", "admin-pass-1")
    page = c.get("/loyalty").text
    assert "每消费 1 元得 1 积分" in page
    assert "确定保存积分规则吗" in page
    form = {"base_rate": "2", "channel_rates": "miniprogram：3，pos:1", "expiry_days": "180",
            "max_points_per_order": "", "reason": "会员日"}  # fmt: skip
    for bad, message in (
        ({"expiry_days": "0"}, "积分有效期须为 1 到 3650 天"),
        ({"channel_rates": "pos=1"}, "分渠道积分请写成“渠道:每元积分”"),
        ({"base_rate": "200"}, "基础积分须为每元 0 到 100 积分"),
        ({"reason": ""}, "请填写原因"),
    ):
        r = _post(c, "/loyalty", "/loyalty/rules", {**form, **bad})
        assert r.status_code == 422, bad
        assert message in r.text
    with db.session_scope() as s:
        assert points_rules.current(s) == points_rules.DEFAULT  # nothing half-applied
    r = _post(c, "/loyalty", "/loyalty/rules", form)
    assert r.status_code == 303, r.text
    page = c.get("/loyalty?rules_saved=1").text
    assert "积分规则已保存" in page
    assert "每消费 1 元得 2.00 积分" in page
    assert "积分 180 天后过期" in page
    with db.session_scope() as s:
        rules = points_rules.current(s)
    assert rules.channel_rates == {"miniprogram": D("3.00"), "pos": D("1.00")}
    analyst = _console("ana", "analyst-pass-1")
    assert 'data-testid="rules-form"' not in analyst.get("/loyalty").text
    r = _post(analyst, "/loyalty", "/loyalty/rules", form)
    assert r.status_code == 403
    assert "积分规则由营销人员和管理员为全连锁设置" in r.text
