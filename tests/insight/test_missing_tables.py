"""Every insight page and API route over a snapshot that lacks insight tables (a fresh instance
before the pipeline ran, or a snapshot published before a step ran): the pages show their empty
state naming what to run, the API answers 503 problem details naming the missing tables —
never a 500."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from omniretail.platform.config import get_settings
from omniretail.platform.engine import publish_snapshot, work_path
from omniretail.platform.engine.duckdb import DuckDBEngine
from tests.insight.conftest import load_world, run_insight

INSIGHT_TABLES = (
    "ins_as_of",
    "ins_order_facts",
    "ins_customer_sku_day",
    "ins_customer_sku",
    "ins_customer_category_day",
    "ins_customer_orders",
    "customer_features",
    "rfm",
    "lifecycle",
    "customer_tags",
    "tag_coverage",
    "kpi_daily",
    "kpi_cohorts",
    "kpi_province",
    "kpi_summary",
    "basket_pairs",
    "basket_bundles",
)
RULE: dict[str, Any] = {
    "all": [
        {"field": "orders_total", "op": "gte", "value": 1},
        {"purchase": {"category": "DUCK_NECK", "min_times": 1, "days": 365}},
        {"not": {"no_event": {"type": "store_visit", "days": 365}}},
    ]
}
API_GETS = (
    "/api/v1/segments/dormant",
    "/api/v1/tags/customers/C000000001",
    "/api/v1/kpis",
    "/api/v1/kpis/summary?marketing_cost=100",
    "/api/v1/kpis/cohorts",
    "/api/v1/kpis/provinces",
    "/api/v1/kpis/basket",
    "/api/v1/kpis/basket/network",
)
CHART_CSVS = tuple(
    f"/dashboards/{c}.csv"
    for c in ("monthly", "channels", "regions", "provinces", "network", "cohorts")
)


@pytest.fixture(scope="module")
def full_work_db(small_world, tmp_path_factory) -> Path:  # type: ignore[no-untyped-def]
    """A work database on which the whole insight pipeline ran (copied per test)."""
    home = tmp_path_factory.mktemp("missing-home")
    path = home / "work.duckdb"
    engine = DuckDBEngine(path)
    load_world(engine, small_world)
    run_insight(engine, home)
    engine.close()
    return path


def _publish_without(full_work_db: Path, drop: tuple[str, ...]) -> None:
    settings = get_settings()
    settings.ensure_dirs()
    target = work_path(settings)
    shutil.copyfile(full_work_db, target)
    engine = DuckDBEngine(target)
    for name in drop:
        engine.execute(f"DROP TABLE IF EXISTS {name}")
    engine.close()
    publish_snapshot(settings)


NOT_COMPUTED_ZH = "这部分数据尚未计算"


def _assert_problem(response: Any, dropped: tuple[str, ...]) -> None:
    assert response.status_code == 503, response.text
    body = response.json()
    assert body["missing_tables"], body
    assert set(body["missing_tables"]) <= set(dropped), body
    assert "omniretail pipeline run" in body["detail"]


def test_fresh_snapshot_without_any_insight_table(client, full_work_db) -> None:
    _publish_without(full_work_db, INSIGHT_TABLES)
    board = client.get("/dashboards")
    assert board.status_code == 200
    assert 'data-testid="empty-state"' in board.text
    # the console says it in the user's language; the API's problem names the tables
    assert NOT_COMPUTED_ZH in board.text
    assert "omniretail pipeline run" in board.text
    builder = client.get("/segments")
    assert builder.status_code == 200
    assert 'data-testid="empty-state"' in builder.text
    assert NOT_COMPUTED_ZH in builder.text
    tags = client.get("/segments/tags")
    assert tags.status_code == 200
    assert 'data-testid="no-coverage"' in tags.text
    catalogue = client.get("/api/v1/tags")
    assert catalogue.status_code == 200
    assert all(t["coverage"] is None for t in catalogue.json())
    for url in API_GETS + CHART_CSVS:
        _assert_problem(client.get(url), INSIGHT_TABLES)
    _assert_problem(client.post("/api/v1/segments/preview", json={"rule": RULE}), INSIGHT_TABLES)


@pytest.mark.parametrize(
    "dropped",
    [
        ("ins_order_facts",),
        ("kpi_summary",),
        ("kpi_cohorts",),
        ("kpi_province",),
        ("basket_pairs",),
        ("dim_channel",),
        ("customer_tags",),
        ("tag_coverage",),
        ("ins_customer_category_day",),
        ("events",),
    ],
    ids=lambda d: d[0],
)
def test_snapshot_missing_one_table(client, full_work_db, dropped: tuple[str, ...]) -> None:
    _publish_without(full_work_db, dropped)
    board = client.get("/dashboards")
    assert board.status_code == 200
    shows_charts = 'id="chart-monthly"' in board.text
    if not shows_charts:
        assert 'data-testid="empty-state"' in board.text
        assert NOT_COMPUTED_ZH in board.text
    builder = client.get("/segments")
    assert builder.status_code == 200
    assert client.get("/segments/tags").status_code == 200
    assert client.get("/api/v1/tags").status_code == 200
    answers = [client.get(url) for url in API_GETS + CHART_CSVS]
    answers.append(client.post("/api/v1/segments/preview", json={"rule": RULE}))
    failed = 0
    for r in answers:
        if r.status_code != 200:
            _assert_problem(r, dropped)
            failed += 1
    # every dropped table is read by some page or route, so something says it is missing
    builder_says = 'data-testid="empty-state"' in builder.text and NOT_COMPUTED_ZH in builder.text
    assert failed > 0 or not shows_charts or builder_says
