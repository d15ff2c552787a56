"""The tags, segment and kpi commands over a published snapshot."""

from __future__ import annotations

import json

import pyarrow.parquet as pq
from typer.testing import CliRunner

from omniretail.cli.main import app
from omniretail.platform.config import get_settings
from omniretail.platform.engine import publish_snapshot, work_path
from omniretail.platform.engine.duckdb import DuckDBEngine
from tests.insight.conftest import load_world, run_insight

runner = CliRunner()


def test_commands(home, small_world, tmp_path) -> None:
    listed = runner.invoke(app, ["tags", "list", "--json"])
    assert listed.exit_code == 0, listed.output
    assert all(t["coverage"] is None for t in json.loads(listed.output))  # nothing computed yet

    settings = get_settings()
    settings.ensure_dirs()
    engine = DuckDBEngine(work_path(settings))
    load_world(engine, small_world)
    run_insight(engine, settings.home)
    engine.close()
    publish_snapshot(settings)

    catalogue = json.loads(runner.invoke(app, ["tags", "list", "--json"]).output)
    assert len(catalogue) >= 90
    assert all(t["coverage"] is not None for t in catalogue)

    out = tmp_path / "tags.parquet"
    result = runner.invoke(app, ["tags", "export", "--out", str(out)])
    assert result.exit_code == 0, result.output
    table = pq.read_table(out)
    assert table.num_rows == small_world["customers"].num_rows
    assert table.num_columns == len(catalogue) + 1

    rule = tmp_path / "rule.json"
    rule.write_text(json.dumps({"field": "lifecycle_stage", "op": "eq", "value": "mature"}))
    counted = runner.invoke(app, ["segment", "count", "--rule", str(rule)])
    assert counted.exit_code == 0, counted.output
    body = json.loads(counted.output)
    assert body["engine"] == "duckdb"
    assert body["count"] == sum(
        1 for v in table.column("lifecycle_stage").to_pylist() if v == "mature"
    )

    rule.write_text(json.dumps({"field": "lifecycle_stage", "op": "gt", "value": 1}))
    bad = runner.invoke(app, ["segment", "count", "--rule", str(rule)])
    assert bad.exit_code != 0

    report = runner.invoke(app, ["kpi", "report", "--grain", "month", "--by", "region"])
    assert report.exit_code == 0, report.output
    rows = [json.loads(line) for line in report.output.splitlines()]
    assert rows
    assert {"period", "region", "sales", "sales_growth_yoy"} <= set(rows[0])
