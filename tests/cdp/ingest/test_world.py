# ruff: noqa: E501
"""A tiny demo world: `omniretail import --world` + `pipeline run --only standardize` with the
shipped demo mappings; every channel lands, quarantine stays low, identities match the truth."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb
import pytest
from typer.testing import CliRunner

from omniretail.cli.main import app
from omniretail.platform.config import get_settings

runner = CliRunner()


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from omniretail.demo import generate_world

    out = tmp_path_factory.mktemp("world")
    generate_world(out, scale=0.01, seed=1)
    return out


def _json(output: str) -> Any:
    return json.loads(output[output.index("{") :])


def test_import_world_and_standardize(world: Path, home: Path) -> None:
    assert runner.invoke(app, ["init"]).exit_code == 0
    shipped = sorted(p.name for p in (world / "mappings").glob("*.yaml"))
    assert "pos_sales.yaml" in shipped
    assert "events.yaml" in shipped
    r = runner.invoke(app, ["import", "--world", str(world)])
    assert r.exit_code == 0, r.output
    landed = _json(r.output)
    files = {f["file"] for f in landed["files"]}
    exports = {p.name for p in (world / "exports").rglob("*") if p.is_file()}
    assert exports == files  # every export is read (the category tree too)
    r = runner.invoke(app, ["import", "--world", str(world)])
    assert _json(r.output)["landed_rows"] == 0  # nothing twice

    r = runner.invoke(app, ["pipeline", "run", "--only", "standardize"])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["quality", "report", "--json"])
    report = {x["source"]: x for x in json.loads(r.output)}
    assert set(report) >= {"pos", "miniprogram", "app", "wechat_oa", "wecom", "tmall", "jd",
                           "douyin", "kuaishou", "meituan", "eleme", "dianping", "groupbuy",
                           "enterprise", "giftcard", "events", "reviews", "master"}  # fmt: skip
    for src, rep in report.items():
        assert rep["rows_read"] == rep["accepted"] + rep["duplicates"] + rep["quarantined"]
        assert rep["quarantined"] <= 0.01 * rep["rows_read"] + 2, (src, rep)
        assert set(rep["quarantined_by_reason"]) <= {"junk:test_account"}, (src, rep)

    con = duckdb.connect(str(get_settings().analytics_dir / "published.duckdb"), read_only=True)
    truth = str(world / "truth" / "identity_truth.parquet")
    missing = con.sql(
        f"SELECT t.source, t.source_record_id FROM '{truth}' t "
        "ANTI JOIN std_identity_records s USING (source, source_record_id) WHERE t.kind <> 'test'"
    ).fetchall()
    extra = con.sql(
        f"SELECT s.source, s.source_record_id FROM std_identity_records s "
        f"ANTI JOIN '{truth}' t USING (source, source_record_id)"
    ).fetchall()
    unresolved_stores = con.sql(
        "SELECT count(*) FROM std_orders WHERE store_code LIKE 'meituan:%' OR store_code LIKE 'eleme:%'"
    ).fetchall()[0]
    orders_without_lines = con.sql(
        "SELECT count(*) FROM std_orders o ANTI JOIN std_order_lines l USING (source, order_id)"
    ).fetchall()[0]
    keys = con.sql(
        "SELECT count(*) - count(DISTINCT record_key) FROM std_identity_records"
    ).fetchall()[0]
    # products.csv carries only the category code: the names, parents and replenishment
    # cycles come from categories.csv (every product's category is a level-2 one)
    products = con.sql(
        "SELECT count(*), count(category_name), count(parent_category_code),"
        " count(replenish_days), count(*) FILTER (WHERE list_contains(fixes, 'filled:category'))"
        " FROM dim_product"
    ).fetchall()[0]
    con.close()
    assert products[0] > 0
    assert set(products) == {products[0]}, products
    assert missing == []  # every true identity record is standardized
    assert extra == []
    assert unresolved_stores == (0,)
    assert orders_without_lines == (0,)
    assert keys == (0,)  # record_key unique although POS members appear in two exports
