"""``omniretail clv fit`` on small files."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from omniretail.cli.main import app

REPO = Path(__file__).resolve().parents[3]
UCI = REPO.parent / "shared" / "data" / "online_retail_II_sample.xlsx"


def _transactions(n: int = 300, seed: int = 0) -> pd.DataFrame:
    """Customers buying at their own rate over a year, half of them stopping mid-year."""
    rng = np.random.default_rng(seed)
    rows = []
    start = pd.Timestamp("2024-01-01")
    for c in range(n):
        rate = rng.gamma(2.0, 1 / 40)  # purchases per day
        stop = 365 if c % 2 else rng.integers(30, 365)
        day = int(rng.integers(0, 60))
        while day < stop:
            rows.append((f"M{c:04d}", start + pd.Timedelta(days=day), round(rng.gamma(4, 10), 2)))
            day += max(1, int(rng.exponential(1 / rate)))
    return pd.DataFrame(rows, columns=["会员号", "下单时间", "实付金额"])


def _run(*args: str) -> dict:  # type: ignore[type-arg]
    result = CliRunner().invoke(app, ["clv", "fit", *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)  # type: ignore[no-any-return]


def test_fit_on_a_small_csv_with_holdout(tmp_path: Path) -> None:
    path = tmp_path / "orders.csv"
    _transactions().to_csv(path, index=False)
    out = _run(
        "--transactions",
        str(path),
        "--customer-col",
        "会员号",
        "--date-col",
        "下单时间",
        "--amount-col",
        "实付金额",
        "--calibration-end",
        "2024-08-31",
        "--period",
        "day",
    )
    assert set(out["parameters"]) == {"r", "alpha", "a", "b"}
    assert out["converged"] is True
    hist = out["calibration_fit"]
    assert sum(h["actual"] for h in hist) == out["customers"]
    assert sum(h["expected"] for h in hist) == pytest.approx(out["customers"], rel=0.01)
    hold = out["holdout"]
    assert hold["end"] > "2024-08-31"
    assert hold["customers"] == out["customers"]
    assert hold["total_predicted"] > 0
    assert hold["correlation"] > 0.3
    assert out["spend_model"]["parameters"]["q"] > 1


def test_paretonbd_on_parquet_without_amount(tmp_path: Path) -> None:
    path = tmp_path / "orders.parquet"
    _transactions(seed=1).to_parquet(path)
    out = _run(
        "--transactions",
        str(path),
        "--customer-col",
        "会员号",
        "--date-col",
        "下单时间",
        "--calibration-end",
        "2024-12-31",
        "--model",
        "paretonbd",
    )
    assert set(out["parameters"]) == {"r", "alpha", "s", "beta"}
    assert "holdout" not in out
    assert "spend_model" not in out


def test_missing_column_is_named(tmp_path: Path) -> None:
    path = tmp_path / "orders.csv"
    _transactions(20).to_csv(path, index=False)
    result = CliRunner().invoke(
        app,
        [
            "clv",
            "fit",
            "--transactions",
            str(path),
            "--customer-col",
            "member",
            "--date-col",
            "下单时间",
            "--calibration-end",
            "2024-06-30",
        ],
    )
    assert result.exit_code != 0
    assert "member" in str(result.exception) or "member" in result.output


@pytest.mark.skipif(not UCI.exists(), reason="../shared/data/online_retail_II_sample.xlsx absent")
def test_fit_on_the_uci_export(tmp_path: Path) -> None:
    out = _run(
        "--transactions",
        str(UCI),
        "--customer-col",
        "Customer ID",
        "--date-col",
        "InvoiceDate",
        "--amount-col",
        "Price",
        "--quantity-col",
        "Quantity",
        "--calibration-end",
        "2011-06-30",
        "--period",
        "day",
        "--per-customer",
        str(tmp_path / "per_customer.csv"),
    )
    assert out["rows"]["skipped"]["no_customer"] == 601
    assert out["customers"] > 150
    assert out["holdout"]["correlation"] > 0.5
    assert len(pd.read_csv(tmp_path / "per_customer.csv")) == out["customers"]
