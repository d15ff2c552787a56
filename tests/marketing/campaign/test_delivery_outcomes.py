"""A campaign shows what really happened to its messages: sent / delivered / failed with the
reason per channel; a campaign that reached nobody reports no effect; the pre-launch check warns
when a chosen channel is not configured."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient

from omniretail.marketing.campaign.report import reached_anyone, roi_with_interval
from omniretail.platform import db
from omniretail.platform.messaging import config as mconfig
from omniretail.platform.messaging import service as messaging
from omniretail.platform.messaging.adapters import unconfigured_channels
from omniretail.platform.messaging.config import MessagingSettings
from tests.marketing.campaign.conftest import publish_with_template


def _campaign(client: TestClient, code: str, channels: list[str]) -> dict[str, Any]:
    body = {
        "code": code,
        "name": "渠道未配置的活动",
        "goal": "repurchase",
        "audience": {"rule": {"field": "orders_total", "op": "gte", "value": 1}},
        "offer_template": "FAIL10",
        "channels": channels,
        "holdout_share": 0.2,
    }
    r = client.post("/api/v1/campaigns", json=body)
    assert r.status_code == 201, r.text
    return dict(r.json())


@pytest.fixture
def no_webhook(monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.delenv("OMNIRETAIL_MESSAGING_WEBHOOK_URL", raising=False)
    mconfig.get_messaging_settings.cache_clear()
    yield
    mconfig.get_messaging_settings.cache_clear()


def test_a_campaign_whose_channel_is_not_configured(
    client: TestClient, snapshot_file: Path, no_webhook: Any
) -> None:
    publish_with_template(snapshot_file, "FAIL10")
    from omniretail.omnichannel.store import service as store_service
    from omniretail.omnichannel.store.schemas import StoreCreate

    with db.session_scope() as s:
        store_service.create_store(s, data=StoreCreate(code="S0001", name="武汉光谷店"))
    _campaign(client, "FAIL-1", ["webhook"])

    # warned before launch, with the member count and the missing setting
    risks = client.post("/api/v1/campaigns/FAIL-1/risks").json()
    assert risks["reachable"] > 0
    assert risks["unconfigured_channels"] == {
        "webhook": {"members": risks["reachable"], "missing": ["OMNIRETAIL_MESSAGING_WEBHOOK_URL"]}
    }
    assert any("OMNIRETAIL_MESSAGING_WEBHOOK_URL" in w for w in risks["warnings"])

    out = client.post("/api/v1/campaigns/FAIL-1/launch")
    assert out.status_code == 200, out.text
    send_at = datetime.fromisoformat(out.json()["send_at"]) + timedelta(minutes=1)
    sent = messaging.dispatch(db.session_factory(), now=send_at, limit=10_000)
    assert sent.sent == 0
    assert sent.failed == out.json()["messages_queued"] > 0

    report = client.get("/api/v1/campaigns/FAIL-1/report").json()
    assert report["sent"] == 0
    assert report["failed"] == sent.failed
    assert report["reached"] is False
    webhook = report["delivery"]["webhook"]
    assert (webhook["sent"], webhook["failed"]) == (0, sent.failed)
    assert webhook["failures"] == {"not_configured": sent.failed}
    assert "OMNIRETAIL_MESSAGING_WEBHOOK_URL" in webhook["examples"]["not_configured"]
    # reached nobody: no effect anywhere, no ROI
    assert "conversion_effect" not in report["overall"]
    assert "incremental_revenue" not in report["overall"]
    assert report["roi"] is None
    for key in ("by_variant", "by_channel", "by_store_code"):
        for block in report[key].values():
            assert "conversion_effect" not in block, key
    assert all("conversion_effect" not in run for run in report["runs"])

    page = client.get("/campaigns/FAIL-1", headers={"accept": "text/html"})
    assert page.status_code == 200
    assert 'data-testid="reached-nobody"' in page.text
    assert "未触达任何会员" in page.text
    assert 'data-testid="table-delivery"' in page.text
    assert f'data-failed="{sent.failed}"' in page.text
    assert 'data-failure="not_configured"' in page.text
    assert "渠道未配置" in page.text
    assert 'data-significant="yes"' not in page.text
    assert "S0001" in report["by_store_code"]
    assert "武汉光谷店" in page.text  # the store table names the store

    listing = client.get("/campaigns", headers={"accept": "text/html"})
    assert f'data-failed="{sent.failed}"' in listing.text  # not just 已发送 0


def test_reached_anyone() -> None:
    assert reached_anyone({}) is True  # no messages (an offer-only campaign)
    assert reached_anyone({"failed": 3, "suppressed": 2}) is False
    assert reached_anyone({"failed": 3, "sent": 1}) is True
    assert reached_anyone({"queued": 5}) is True  # may still reach


def test_unconfigured_channels() -> None:
    bare = MessagingSettings()
    assert unconfigured_channels(["file", "email"], bare) == {}
    assert unconfigured_channels(["sms", "wechat"], bare) == {
        "sms": ["OMNIRETAIL_MESSAGING_SMS_URL"],
        "wechat": ["OMNIRETAIL_MESSAGING_WECHAT_APPID", "OMNIRETAIL_MESSAGING_WECHAT_SECRET"],
    }
    ready = MessagingSettings(
        sms_url="http://127.0.0.1:1/send", wechat_appid="a", wechat_secret="s"
    )
    assert unconfigured_channels(["sms", "wechat"], ready) == {}


def test_roi_carries_its_interval() -> None:
    # ¥1,000 of coupons; incremental revenue ¥10,520 [¥-300, ¥21,000]
    roi, ci = roi_with_interval(10_520.0, [-300.0, 21_000.0], 1_000.0)
    assert roi == 9.52
    assert ci == [-1.3, 20.0]  # anything from losing the whole cost and more to 2,000%
    assert roi_with_interval(None, None, 1_000.0) == (None, None)  # no effect measured
    assert roi_with_interval(500.0, [100.0, 900.0], 0.0) == (None, None)  # nothing spent


def test_a_failed_channel_falls_back_along_the_chosen_order(
    client: TestClient, snapshot_file: Path, no_webhook: Any
) -> None:
    """webhook (not configured) → file: every failed webhook message is sent again on the
    next chosen channel, once, counted per channel; the campaign reached its members."""
    publish_with_template(snapshot_file, "FAIL10")
    _campaign(client, "FALL-1", ["webhook", "file"])
    out = client.post("/api/v1/campaigns/FALL-1/launch").json()
    queued = out["messages_queued"]
    assert queued > 0
    at = datetime.fromisoformat(out["send_at"]) + timedelta(minutes=1)
    first = messaging.dispatch(db.session_factory(), now=at, limit=10_000)
    assert (first.sent, first.failed, first.fallbacks) == (0, queued, queued)
    second = messaging.dispatch(db.session_factory(), now=at + timedelta(hours=12), limit=10_000)
    assert (second.sent, second.failed, second.fallbacks) == (queued, 0, 0)
    third = messaging.dispatch(db.session_factory(), now=at + timedelta(days=1), limit=10_000)
    assert third.claimed == 0  # nothing sent twice

    report = client.get("/api/v1/campaigns/FALL-1/report").json()
    webhook, file = report["delivery"]["webhook"], report["delivery"]["file"]
    assert (webhook["failed"], webhook["fell_back_to"]) == (queued, {"file": queued})
    assert (file["sent"], file["fallback_in"]) == (queued, queued)
    assert report["reached"] is True
    page = client.get("/campaigns/FALL-1", headers={"accept": "text/html"}).text
    assert 'data-fell-back-to="file"' in page
    assert "补发" in page


def test_fallback_order_keeps_only_reachable_channels() -> None:
    from omniretail.marketing.campaign.planning import fallback_channels

    profile = {
        "phone": "13800000000",
        "consent_sms": True,
        "openid": "o1",
        "consent_wechat": False,
        "email": "a@b.cn",
        "consent_email": True,
        "customer_id": "C1",
    }
    order = ["wechat", "sms", "webhook", "email"]
    assert fallback_channels(profile, order, "sms") == (("webhook", "C1"), ("email", "a@b.cn"))
    assert fallback_channels({"customer_id": "C1"}, ["sms", "file"], "file") == ()


def test_quiet_hours_are_explained(client: TestClient, snapshot_file: Path) -> None:
    """Launched at 22:00 Beijing time: the messages wait for 09:00, and the page says why."""
    from omniretail.marketing.campaign import service
    from omniretail.marketing.campaign.launch import launch_campaign
    from omniretail.marketing.campaign.pages import quiet_hours_note
    from omniretail.platform.engine.snapshot import run_on_published

    publish_with_template(snapshot_file, "FAIL10")
    _campaign(client, "QUIET-1", ["file"])
    evening = datetime(2026, 12, 1, 22, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    with db.session_scope() as s:
        out = run_on_published(lambda eng: launch_campaign(s, eng, code="QUIET-1", now=evening))
        assert out.send_at.astimezone(ZoneInfo("Asia/Shanghai")).hour == 9
        c = service.get_campaign(s, code="QUIET-1")
        note = quiet_hours_note(s, c, now=evening)
        assert note is not None
        assert "静默时段" in note
        assert "2026-12-02 09:00" in note
        assert quiet_hours_note(s, c, now=out.send_at + timedelta(seconds=1)) is None
