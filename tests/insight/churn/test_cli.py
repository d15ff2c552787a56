"""``omniretail churn evaluate`` on a small CSV."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from omniretail.cli.main import app
from tests.insight.churn.synthetic import history


def test_evaluate_on_a_csv(tmp_path: Path) -> None:
    orders = history(n=500, seed=5)["orders"].to_pandas()
    path = tmp_path / "orders.csv"
    orders.rename(columns={"customer_id": "会员", "ordered_at": "时间", "paid_amount": "金额"})[
        ["会员", "时间", "金额"]
    ].to_csv(path, index=False)
    result = CliRunner().invoke(
        app,
        ["churn", "evaluate", "--transactions", str(path), "--customer-col", "会员",
         "--date-col", "时间", "--amount-col", "金额", "--top", "2"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert out["test"]["auc"] > 0.7
    assert out["scored_as_of"] == "2025-06-30"
    assert len(out["riskiest"]) == 2
    assert out["riskiest"][0]["churn_risk"] >= out["riskiest"][1]["churn_risk"]
    assert " / " in out["riskiest"][0]["factors"][0]
