"""The ``recs evaluate`` and ``uplift synthetic`` commands print JSON."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from omniretail.cli.main import app
from tests.insight.recommend.world import ShopWorld


def test_recs_evaluate_prints_metrics(tmp_path: Path, shop: ShopWorld) -> None:
    path = tmp_path / "lines.csv"
    shop.purchases.merge(shop.products[["sku", "name"]], on="sku").to_csv(path, index=False)
    result = CliRunner().invoke(
        app,
        [
            "recs", "evaluate", "--interactions", str(path), "--user-col", "customer_id",
            "--item-col", "sku", "--time-col", "ordered_at", "--item-text-col", "name",
            "--split", "time", "--k", "5", "-a", "popularity", "-a", "content",
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert set(report["results"]) == {"popularity", "content"}
    assert "ndcg@5" in report["results"]["content"]
    assert report["protocol"]["split"] == "time"


def test_recs_evaluate_names_a_missing_column(tmp_path: Path, shop: ShopWorld) -> None:
    path = tmp_path / "lines.csv"
    shop.purchases.to_csv(path, index=False)
    result = CliRunner().invoke(
        app,
        ["recs", "evaluate", "--interactions", str(path), "--user-col", "member",
         "--item-col", "sku"],
    )  # fmt: skip
    assert result.exit_code != 0
    assert "member" in str(result.exception) or "member" in result.output


def test_uplift_synthetic_prints_qini() -> None:
    result = CliRunner().invoke(app, ["uplift", "synthetic", "--setup", "B", "--n", "1500"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["results"]["x_learner"]["qini_true"] > report["results"]["random"]["qini_true"]
