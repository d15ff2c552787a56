"""The global control group (全局对照组): a stable, nested hash split; validated and audited
changes; every campaign leaves its members out unless it includes them; its lift matches an
independent count on the snapshot; the console page sets it (in Chinese) for chain-wide users."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from omniretail.marketing.campaign import global_control
from omniretail.marketing.campaign.models import Campaign, CampaignMember
from omniretail.platform import db
from omniretail.platform.auth.models import AuditLog
from omniretail.platform.engine.snapshot import run_on_published
from omniretail.platform.errors import InvalidInput
from tests.marketing.campaign.conftest import publish_with_template
from tests.web.conftest import csrf_from

HTML = {"accept": "text/html"}
RULE = {"rule": {"field": "orders_total", "op": "gte", "value": 1}}


def test_the_split_is_stable_nested_and_near_its_share() -> None:
    ids = [f"C{i:07d}" for i in range(20_000)]
    ten = {c for c in ids if global_control.is_member("salt-1", 0.10, c)}
    twenty = {c for c in ids if global_control.is_member("salt-1", 0.20, c)}
    assert ten <= twenty  # raising the share only adds customers
    assert abs(len(ten) - 2000) < 4 * (20_000 * 0.1 * 0.9) ** 0.5
    assert abs(len(twenty) - 4000) < 4 * (20_000 * 0.2 * 0.8) ** 0.5
    # the rule as documented: sha256("salt:id"), first 60 bits as a fraction
    for c in ids[:200]:
        frac = int(hashlib.sha256(f"salt-1:{c}".encode()).hexdigest()[:15], 16) / 16**15
        assert global_control.is_member("salt-1", 0.10, c) == (frac < 0.10)
    other = {c for c in ids if global_control.is_member("salt-2", 0.10, c)}
    assert len(other & ten) < len(ten) * 0.2  # another salt, another group
    assert not any(global_control.is_member("salt-1", 0.0, c) for c in ids[:100])


def test_bad_shares_are_refused_and_changes_audited(client: TestClient) -> None:
    with db.session_scope() as s:
        for bad in (-0.1, 0.6, "abc", None, float("nan")):
            with pytest.raises(InvalidInput) as err:
                global_control.set_share(s, share=bad, actor="ops")
            assert err.value.field == "share"
        assert global_control.current(s) is None  # nothing half-applied
        row = global_control.set_share(s, share=0.1, actor="ops")
        salt = row.salt
        global_control.set_share(s, share=0.2, actor="lead")
    with db.session_scope() as s:
        row = global_control.current(s)
        assert row is not None
        assert (row.share, row.salt, row.updated_by) == (0.2, salt, "lead")  # the salt stays
        trail = [
            a.detail
            for a in s.scalars(select(AuditLog).where(AuditLog.action == "campaign.global_control"))
        ]
    assert trail == [{"share_before": 0.0, "share": 0.1}, {"share_before": 0.1, "share": 0.2}]


def _members(code: str) -> dict[str, str]:
    with db.session_scope() as s:
        rows = s.execute(
            select(CampaignMember.customer_id, CampaignMember.arm)
            .join(Campaign, Campaign.id == CampaignMember.campaign_id)
            .where(Campaign.code == code)
        )
        return {str(c): str(a) for c, a in rows}


def _create(client: TestClient, code: str, audience: dict[str, object]) -> None:
    body = {
        "code": code,
        "name": f"活动 {code}",
        "goal": "repurchase",
        "audience": audience,
        "channels": ["file"],
        "holdout_share": 0.1,
    }
    r = client.post("/api/v1/campaigns", json=body)
    assert r.status_code == 201, r.text


def test_campaigns_leave_the_group_out_and_its_lift_is_reported(
    client: TestClient, snapshot_file: Path
) -> None:
    publish_with_template(snapshot_file, "GC10")
    as_of = run_on_published(lambda e: e.scalar("SELECT as_of FROM ins_as_of"))
    since = datetime(as_of.year, as_of.month, as_of.day, 4, tzinfo=UTC) - timedelta(days=60)
    with db.session_scope() as s:
        salt = global_control.set_share(s, share=0.25, actor="admin", now=since).salt

    def control(ids: list[str] | set[str]) -> set[str]:
        return {c for c in ids if global_control.is_member(salt, 0.25, c)}

    _create(client, "GC-A", RULE)
    risks = client.post("/api/v1/campaigns/GC-A/risks").json()
    assert risks["left_out"]["global_control"] > 0
    assert any("global control group" in n["message"] for n in risks["notes"])
    assert client.post("/api/v1/campaigns/GC-A/launch").status_code == 200
    a = _members("GC-A")
    assert a
    assert not control(a)  # nobody of the group, in either arm
    # a campaign that includes the group reaches exactly those left out of the first
    _create(client, "GC-B", {**RULE, "include_global_control": True})
    assert client.post("/api/v1/campaigns/GC-B/launch").status_code == 200
    b = _members("GC-B")
    assert control(b) == set(b) - set(a)
    assert len(control(b)) == risks["left_out"]["global_control"]

    # the lift: everyone else against the group, recomputed here from the snapshot's tables
    with db.session_scope() as s:
        out = run_on_published(lambda e: global_control.lift(s, e, days=30))
    assert out["status"] == "ok"
    start, end = as_of - timedelta(days=29), as_of
    assert (out["start"], out["end"]) == (start.isoformat(), end.isoformat())
    frames = run_on_published(
        lambda e: (
            e.fetch_arrow("SELECT customer_id FROM customer_tags").to_pandas(),
            e.fetch_arrow(
                "SELECT customer_id, ordered_at, status, paid_amount FROM orders"
            ).to_pandas(),
        )
    )
    tags, orders = frames
    day = pd.to_datetime(orders.ordered_at).dt.date
    paid = orders[(day >= start) & (day <= end) & (orders.status.fillna("paid") != "cancelled")]
    revenue = paid.groupby("customer_id").paid_amount.sum()
    grp = tags.customer_id.map(lambda c: global_control.is_member(salt, 0.25, c))
    assert out["control"] == int(grp.sum())
    assert out["rest"] == int((~grp).sum())
    buyers = tags.customer_id.isin(revenue.index)
    conv = out["conversion_effect"]
    assert conv["control"] == pytest.approx(buyers[grp].mean())
    assert conv["treatment"] == pytest.approx(buyers[~grp].mean())
    per = tags.customer_id.map(revenue).fillna(0.0).astype(float)
    sales = out["sales_per_customer_effect"]
    assert sales["control"] == pytest.approx(per[grp].mean())
    assert sales["treatment"] == pytest.approx(per[~grp].mean())
    assert sales["ci_low"] < sales["lift"] < sales["ci_high"]


def test_the_console_page_sets_it_in_chinese(client: TestClient) -> None:
    page = client.get("/global-control", headers=HTML)
    assert page.status_code == 200, page.text
    assert "全局对照组" in page.text
    assert "未开启" in page.text
    token = csrf_from(page.text)
    bad = client.post(
        "/global-control", data={"csrf_token": token, "share_pct": "60"}, headers=HTML
    )
    assert bad.status_code == 422
    assert "全局对照组的占比必须是 0 到 50 之间的数字" in bad.text
    r = client.post(
        "/global-control",
        data={"csrf_token": token, "share_pct": "5%"},
        headers=HTML,
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    page = client.get("/global-control?saved=1", headers=HTML).text
    assert "已开启：5% 的顾客不参加任何活动" in page
    with db.session_scope() as s:
        assert global_control.share_of(s) == 0.05
    assert 'href="/global-control"' in client.get("/campaigns", headers=HTML).text


def test_including_the_group_is_a_yes_or_no_shown_on_the_campaign_page(
    client: TestClient, snapshot_file: Path
) -> None:
    publish_with_template(snapshot_file, "GC11")
    with db.session_scope() as s:
        global_control.set_share(s, share=0.2, actor="admin")
    # "false" as a string would count as yes and reach the group: refused, naming the field,
    # in the caller's language, and nothing created
    for bad in ("false", 0, 1, "yes"):
        r = client.post(
            "/api/v1/campaigns",
            json={
                "code": "GC-BAD",
                "name": "坏的",
                "goal": "care",
                "audience": {**RULE, "include_global_control": bad},
                "channels": ["file"],
            },
        )
        assert r.status_code == 422, r.text
        assert r.json()["errors"][0]["field"] == "audience.include_global_control"
        assert r.json()["message"] == "是否包含全局对照组只能选择是或否"  # the default zh-CN
    assert client.get("/api/v1/campaigns/GC-BAD").status_code == 404
    _create(client, "GC-IN", {**RULE, "include_global_control": True})
    _create(client, "GC-OUT", RULE)
    bad = client.patch(
        "/api/v1/campaigns/GC-IN", json={"audience": {**RULE, "include_global_control": "no"}}
    )
    assert bad.status_code == 422
    assert client.get("/api/v1/campaigns/GC-IN").json()["audience"]["include_global_control"]
    left = client.post("/api/v1/campaigns/GC-OUT/risks").json()["left_out"]["global_control"]
    assert left > 0
    assert "global_control" not in client.post("/api/v1/campaigns/GC-IN/risks").json()["left_out"]
    page = client.get("/campaigns/GC-IN", headers=HTML).text
    assert "包含：对照组的客户也会收到本活动" in page
    page = client.get("/campaigns/GC-OUT", headers=HTML).text
    shown = "留出：对照组的客户不会收到本活动（用于衡量全部营销的增量）"
    assert f"{shown} · 最近一次检查留出 {left:,} 位会员 · 20%" in page
    wizard = client.get("/campaigns/new", headers=HTML).text
    assert "全局对照组（占全部客户的 20%）不参加任何营销活动" in wizard
