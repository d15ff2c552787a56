"""Console pages of campaigns: the list, the wizard and the report (no browser)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from omniretail.marketing.campaign.planning import MESSAGE_CHANNELS
from omniretail.platform import db
from tests.marketing.campaign.conftest import publish_with_template

STEPS = ("goal", "audience", "offer", "channels", "schedule", "budget", "review")


@pytest.fixture
def launched(client: TestClient, snapshot_file: Path) -> TestClient:
    """A published snapshot, a coupon template and a launched campaign with a holdout."""
    publish_with_template(snapshot_file, "PG10")
    body = {
        "code": "PAGE-1",
        "name": "页面测试活动",
        "goal": "repurchase",
        "audience": {"rule": {"field": "orders_total", "op": "gte", "value": 1}},
        "offer_template": "PG10",
        "channels": ["sms", "email", "file"],
        "holdout_share": 0.2,
        "variants": [{"name": "A"}, {"name": "B"}],
    }
    r = client.post("/api/v1/campaigns", json=body)
    assert r.status_code == 201, r.text
    r = client.post("/api/v1/campaigns/PAGE-1/launch")
    assert r.status_code == 200, r.text
    return client


def test_pages_redirect_when_logged_out(home: Path) -> None:
    from omniretail.web.app import create_app

    db.create_all(db.get_engine())  # quick; migrations are tested in tests/platform
    with TestClient(create_app(), headers={"accept": "text/html"}) as anon:
        for path in ("/campaigns", "/campaigns/new", "/campaigns/X-1", "/campaigns/X-1/report.csv"):
            r = anon.get(path, follow_redirects=False)
            assert r.status_code in (302, 303, 307), (path, r.status_code)
            assert r.headers["location"].startswith("/login?next="), path


def test_empty_list_and_wizard(client: TestClient) -> None:
    r = client.get("/campaigns", headers={"accept": "text/html"})
    assert r.status_code == 200
    assert 'data-testid="empty-state"' in r.text
    assert 'href="/campaigns/new"' in r.text
    assert "营销活动" in r.text  # zh-CN by default

    wizard = client.get("/campaigns/new", headers={"accept": "text/html"})
    assert wizard.status_code == 200
    for step in STEPS:
        assert f'data-step-panel="{step}"' in wizard.text, step
        assert f'key: "{step}"' in wizard.text, step
    for channel in MESSAGE_CHANNELS:
        assert f'"{channel}":' in wizard.text, channel
    assert json.dumps(list(MESSAGE_CHANNELS)) in wizard.text  # the fallback order, unsorted
    assert "/api/v1/segments/preview" in wizard.text
    assert "/risks" in wizard.text
    assert "/launch" in wizard.text

    client.cookies.set("omniretail_lang", "en")
    english = client.get("/campaigns/new", headers={"accept": "text/html"})
    assert "Holdout share (%)" in english.text
    assert "对照组比例" not in english.text


def test_unknown_campaign_is_not_found(client: TestClient) -> None:
    r = client.get("/campaigns/NOPE-1", headers={"accept": "text/html"})
    assert r.status_code == 404
    assert "NOPE-1" in r.text


def test_list_report_and_csv_of_a_launched_campaign(launched: TestClient) -> None:
    api = launched.get("/api/v1/campaigns/PAGE-1/report").json()
    assert api["treatment"] > 0
    assert api["holdout"] > 0

    listing = launched.get("/campaigns", headers={"accept": "text/html"})
    assert listing.status_code == 200
    assert 'data-campaign="PAGE-1"' in listing.text
    assert f"{api['treatment']:,}" in listing.text
    assert "复购" in listing.text  # the goal, translated

    page = launched.get("/campaigns/PAGE-1", headers={"accept": "text/html"})
    assert page.status_code == 200, page.text
    for key in ("audience", "arms", "sent", "coupons", "roi"):
        assert f'data-kpi="{key}"' in page.text, key
    assert 'data-testid="table-by_variant"' in page.text
    assert 'data-testid="table-by_channel"' in page.text
    assert 'data-testid="table-by_store_code"' in page.text
    assert 'id="chart-conversion"' in page.text
    assert 'id="chart-revenue"' in page.text
    assert 'data-testid="no-snapshot"' not in page.text

    r = launched.get("/campaigns/PAGE-1/report.csv")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/csv")
    from omniretail.marketing.campaign.pages import CSV_LABELS, CSV_VALUES
    from omniretail.platform import i18n

    with i18n.use_locale("zh_CN"):  # the console's language: Chinese headers and words
        col = {k: i18n.gettext(v) for k, v in CSV_LABELS.items()}
        word = {k: i18n.gettext(v) for k, v in CSV_VALUES.items()}
    assert col["members"] != "members"
    raw = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
    rows = [{k: row[col[k]] for k in col} for row in raw]
    overall = next(row for row in rows if row["table"] == word["overall"])
    assert int(overall["members"]) == api["treatment"]
    assert int(overall["holdout"]) == api["holdout"]
    assert overall["conversion_ci_low"] != ""  # treatment and holdout both present
    assert len(overall["revenue"].rpartition(".")[2]) == 2  # money to 2 decimals
    variants = {row["key"] for row in rows if row["table"] == word["variant"]}
    assert variants == set(api["by_variant"])
    channel_rows = [row for row in rows if row["table"] == word["channel"]]
    assert sum(int(row["members"]) for row in channel_rows) == api["treatment"]
    runs = [row for row in rows if row["table"] == word["run"]]
    assert [(row["key"], int(row["members"])) for row in runs] == [("1", api["treatment"])]
