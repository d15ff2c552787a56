"""Console pages of the insight area rendered over a published snapshot (no browser)."""

from __future__ import annotations

import csv
import io
import re

import pytest

from omniretail.platform.config import get_settings
from omniretail.platform.engine import publish_snapshot, work_path
from omniretail.platform.engine.duckdb import DuckDBEngine
from tests.insight.conftest import load_world, run_insight


@pytest.fixture
def published(client, small_world):  # type: ignore[no-untyped-def]
    settings = get_settings()
    settings.ensure_dirs()
    engine = DuckDBEngine(work_path(settings))
    load_world(engine, small_world)
    run_insight(engine, settings.home)
    engine.close()
    return publish_snapshot(settings)


def test_pages_without_a_snapshot(client) -> None:
    r = client.get("/segments")
    assert r.status_code == 200
    assert 'data-testid="empty-state"' in r.text
    tags = client.get("/segments/tags")
    assert tags.status_code == 200
    assert 'data-testid="no-coverage"' in tags.text
    assert client.get("/dashboards").status_code == 200


def test_builder_catalogue_and_dashboards(client, published) -> None:
    builder = client.get("/segments")
    assert builder.status_code == 200
    assert 'id="rule-editor"' in builder.text
    assert "most_active_channel" in builder.text
    tags = client.get("/segments/tags")
    assert tags.text.count("data-tag=") >= 90
    assert 'data-coverage=""' not in tags.text
    board = client.get("/dashboards")
    assert board.status_code == 200
    for key in ("monthly", "channels", "regions", "provinces", "network", "cohorts"):
        assert f'id="chart-{key}"' in board.text
        export = client.get(f"/dashboards/{key}.csv")
        assert export.status_code == 200, key
        rows = list(csv.DictReader(io.StringIO(export.content.decode("utf-8-sig"))))
        assert rows, key
    assert client.get("/dashboards/nope.csv").status_code == 404
    provinces = list(
        csv.DictReader(
            io.StringIO(client.get("/dashboards/provinces.csv").content.decode("utf-8-sig"))
        )
    )
    assert {"湖北", "广东"} <= {p["省份（地图）"] for p in provinces}  # Chinese headers


def test_dashboards_keep_chain_wide_figures_from_store_users(client, published) -> None:
    """A store manager's dashboards showed the chain's summary (sales, members, CLTV), the
    province map, the category network and the cohorts, which are precomputed for the whole
    chain (the API already refuses them, 403): the page leaves them out and says so, and their
    CSVs are refused; the trend, channel and region charts are the manager's stores'."""
    from fastapi.testclient import TestClient

    from omniretail.platform.auth import service
    from omniretail.platform.db import session_scope

    with session_scope() as s:
        service.create_user(
            s, username="sm", password="store-manager-1", role="store_manager", store_ids=[999]
        )
    manager = TestClient(client.app)
    r = manager.post("/api/v1/auth/login", json={"username": "sm", "password": "store-manager-1"})
    assert r.status_code == 200, r.text
    page = manager.get("/dashboards").text
    assert 'data-testid="chain-wide-hidden"' in page
    assert 'data-testid="kpi-summary"' not in page
    for key in ("monthly", "channels", "regions"):
        assert f'id="chart-{key}"' in page, key
        assert manager.get(f"/dashboards/{key}.csv").status_code == 200, key
    for key in ("provinces", "network", "cohorts"):
        assert f'id="chart-{key}"' not in page, key
        refused = manager.get(f"/dashboards/{key}.csv")
        assert refused.status_code == 403, key
    board = client.get("/dashboards").text  # the admin sees every store: all of it
    assert 'data-testid="kpi-summary"' in board
    assert 'data-testid="chain-wide-hidden"' not in board


def test_ready_made_segments_open_edit_and_delete(client, published) -> None:
    """One click on a ready-made segment gives a rule that counts; a saved segment is opened,
    changed (PATCH) and deleted; model scores are builder fields when the snapshot has them."""
    from omniretail.insight.segment import service
    from omniretail.insight.segment.pages import score_fields

    builder = client.get("/segments").text
    assert 'data-preset="dormant_high_value"' in builder
    assert "沉睡高价值会员" in builder
    assert "本月生日" in builder
    assert "新客未复购" in builder
    for preset in service.presets({}):  # every tag preset compiles and counts
        r = client.post("/api/v1/segments/preview", json={"rule": preset["rule"]})
        assert r.status_code == 200, (preset["key"], r.text)
    assert {p["key"] for p in service.presets({})} >= {"dormant_high_value", "new_not_repurchased"}
    assert "repurchase_due" not in {p["key"] for p in service.presets({})}
    with_scores = {"churn_risk": "number", "replenishment_due_in_days": "integer"}
    keys = {p["key"] for p in service.presets(with_scores)}
    assert {"churn_risk_high", "repurchase_due"} <= keys
    assert [f["id"] for f in score_fields(with_scores)] == [
        "score.churn_risk",
        "score.replenishment_due_in_days",
    ]

    dormant = service.presets({})[0]
    saved = client.post(
        "/api/v1/segments", json={"name": "沉睡高价值会员", "rule": dormant["rule"]}
    )
    assert saved.status_code == 201, saved.text
    sid = saved.json()["id"]
    page = client.get("/segments").text
    assert f'data-open="{sid}"' in page
    assert f'data-delete="{sid}"' in page
    changed = client.patch(
        f"/api/v1/segments/{sid}",
        json={"name": "沉睡金卡以上", "rule": {"field": "value_tier", "op": "eq", "value": "gold"}},
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["name"] == "沉睡金卡以上"
    bad = client.patch(f"/api/v1/segments/{sid}", json={"rule": {"field": "nope", "op": "eq"}})
    assert bad.status_code == 422
    assert client.get(f"/api/v1/segments/{sid}").json()["rule"]["field"] == "value_tier"
    assert client.delete(f"/api/v1/segments/{sid}").status_code == 204
    assert client.get(f"/api/v1/segments/{sid}").status_code == 404


def test_one_local_time_format() -> None:
    from datetime import UTC, datetime

    from omniretail.platform.console.templating import local_time

    assert local_time(datetime(2026, 11, 1, 1, 0, 5, 123456)) == "2026-11-01 09:00"  # naive UTC
    assert local_time(datetime(2026, 11, 1, 1, 0, tzinfo=UTC)) == "2026-11-01 09:00"
    assert local_time("2026-11-01T01:00:00+00:00") == "2026-11-01 09:00"
    assert local_time(None) == "—"


def test_dashboard_filters_and_growth_net_of_returns(client, published) -> None:
    """The filter bar narrows the trend to a grain, a store, a channel; growth vs the previous
    period and last year is computed on net sales, never for an incomplete last period."""
    from omniretail.insight.kpi import dashboard
    from omniretail.platform.engine.snapshot import run_on_published

    def trend(**kw):  # type: ignore[no-untyped-def]
        return run_on_published(lambda e: dashboard.trend(e, dashboard.TrendFilter(**kw)))

    months = trend()
    assert len(months) >= 13
    assert any(r["net_growth_prev"] is not None for r in months)
    for before, row in zip(months, months[1:], strict=False):
        if row["net_growth_prev"] is not None:
            expected = row["net_sales"] / before["net_sales"] - 1
            assert row["net_growth_prev"] == pytest.approx(expected, abs=1e-3)
    assert any(r["net_growth_yoy"] is not None for r in months)
    assert all(r["net_growth_prev"] is None for r in months if r["partial"])
    assert all(r["net_sales"] <= r["sales"] + 0.01 for r in months)

    board = client.get("/dashboards?grain=week").text
    assert 'data-testid="dashboard-filters"' in board
    assert "含环比/同比" in board
    channel = run_on_published(lambda e: dashboard.chart_rows(e, "channels"))[0]["channel_code"]
    one = trend(grain="month", channel=channel)
    assert one
    assert sum(r["net_sales"] for r in one) < sum(r["net_sales"] for r in months)
    bad = client.get("/dashboards?start=2026-13-01")
    assert bad.status_code == 200
    assert 'data-testid="filter-error"' in bad.text


def test_dashboard_csv_headers_are_in_the_reader_language(client, published) -> None:
    """Every column of every dashboard CSV has a Chinese header in the zh-CN console (the
    coupon and category-network columns were raw names), an English one in English."""
    for key in ("monthly", "channels", "regions", "provinces", "network", "cohorts"):
        text = client.get(f"/dashboards/{key}.csv").content.decode("utf-8-sig")
        header = next(csv.reader(io.StringIO(text)))
        raw = [h for h in header if re.search(r"[a-z]{2,}", h)]
        assert not raw, (key, raw)
    network = client.get("/dashboards/network.csv").content.decode("utf-8-sig")
    kinds = {r["行类型（品类组合或品类）"] for r in csv.DictReader(io.StringIO(network))}
    assert kinds == {"品类组合", "品类"}
    client.cookies.set("omniretail_lang", "en")
    en = client.get("/dashboards/network.csv").content.decode("utf-8-sig")
    assert next(csv.reader(io.StringIO(en)))[:3] == [
        "Row (category pair or category)",
        "First category code",
        "Second category code",
    ]
