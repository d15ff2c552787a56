"""Console pages of the insight area rendered over a published snapshot (no browser)."""

from __future__ import annotations

import csv
import io

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
    assert {"湖北", "广东"} <= {p["map_name"] for p in provinces}
