"""Model commands on an imported source (issue 16): ``clv fit``, ``churn evaluate`` and
``recs evaluate`` with ``--source`` reuse the import's cleaning and line classes on the real UCI
export (../shared/data): no duplicate rows, no credit notes or postage (``POST``) as purchases,
customer ids as text, money in pounds."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from typer.testing import CliRunner

from omniretail.cdp.ingest import service
from omniretail.cdp.ingest.mapping import shipped_mapping
from omniretail.cli.main import app
from omniretail.platform import pipeline
from omniretail.platform.config import get_settings
from omniretail.platform.db import session_scope
from omniretail.platform.engine import open_engine, publish_snapshot

UCI = (
    Path(__file__).resolve().parents[2].parent / "shared" / "data" / "online_retail_II_sample.xlsx"
)
SOURCE = "uci_online_retail_ii"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not UCI.is_file(), reason="../shared/data/online_retail_II_sample.xlsx absent"
    ),
]


@pytest.fixture
def imported(sqlite_session: Any) -> None:
    with session_scope() as s:
        service.import_with_mapping_file(
            s, source=None, mapping_path=shipped_mapping(SOURCE), files=[UCI]
        )
    settings = get_settings()
    eng = open_engine(settings=settings)
    try:
        pipeline.run(pipeline.PipelineContext(engine=eng, settings=settings), only=["standardize"])
    finally:
        eng.close()
    publish_snapshot(settings)


def _run(*args: str) -> dict[str, Any]:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, result.output
    out: dict[str, Any] = json.loads(result.stdout)
    return out


def test_clv_fit_on_the_imported_source(imported: None, tmp_path: Path) -> None:
    out = _run(
        "clv", "fit", "--source", SOURCE, "--calibration-end", "2011-06-30", "--period", "day",
        "--per-customer", str(tmp_path / "per_customer.csv"),
    )  # fmt: skip
    rows = out["rows"]
    assert out["source"] == SOURCE
    assert out["currency"] == "GBP"
    excluded = rows["excluded"]
    assert excluded["returned_order_lines"] > 700  # the credit notes' lines
    assert excluded["adjustment_lines"] > 900  # POST and other charges of paid orders
    assert excluded["anonymous_lines"] > 500
    assert rows["lines"] == 34_251  # the import's accepted rows: 515 duplicates already gone
    assert rows["purchase_lines"] + sum(excluded.values()) == rows["lines"]
    ids = pd.read_csv(tmp_path / "per_customer.csv", dtype=str)["customer_id"]
    assert not ids.str.contains(r"\.").any()  # 12349, not 12349.0
    assert "12349" in set(ids)
    assert out["holdout"]["correlation"] > 0.5


def test_churn_and_recs_on_the_imported_source(imported: None) -> None:
    churn = _run("churn", "evaluate", "--source", SOURCE, "--horizon-days", "90", "--top", "20")
    assert churn["currency"] == "GBP"
    texts = " ".join(t for r in churn["riskiest"] for t in r["factors"])
    assert "¥" not in texts
    assert all("." not in r["customer_id"] for r in churn["riskiest"])
    assert churn["rows"]["excluded"]["adjustment_lines"] > 900
    recs = _run("recs", "evaluate", "--source", SOURCE, "-a", "popularity", "--k", "5")
    assert recs["source"]["source"] == SOURCE
    assert recs["source"]["excluded"]["returned_order_lines"] > 700
    assert recs["data"]["rows"] == recs["source"]["purchase_lines"]


def test_unknown_source_names_the_imported_ones(imported: None) -> None:
    result = CliRunner().invoke(
        app, ["clv", "fit", "--source", "nope", "--calibration-end", "2011-06-30"]
    )
    assert result.exit_code != 0
    assert SOURCE in str(result.exception) + result.output
