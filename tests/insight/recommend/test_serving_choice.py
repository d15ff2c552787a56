"""The pipeline serves the winner of the evaluation it just ran, on the real UCI export."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from omniretail.insight.recommend.training import RecsConfig, build_outputs

UCI = (
    Path(__file__).resolve().parents[3].parent / "shared" / "data" / "online_retail_II_sample.xlsx"
)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not UCI.is_file(), reason="../shared/data/online_retail_II_sample.xlsx absent"
    ),
]


def _purchases() -> pd.DataFrame:
    frame = pd.concat(pd.read_excel(UCI, sheet_name=None).values(), ignore_index=True)
    frame = frame.drop_duplicates()
    sale = ~frame["Invoice"].astype(str).str.startswith("C") & frame["Customer ID"].notna()
    goods = frame["StockCode"].astype(str).str.match(r"^\d{5}")  # not POST, M, D, C2, ADJUST…
    lines = frame[sale & goods & (frame["Quantity"] > 0)]
    return pd.DataFrame(
        {
            "customer_id": lines["Customer ID"].astype("int64").astype(str),
            "sku": lines["StockCode"].astype(str),
            "ordered_at": pd.to_datetime(lines["InvoiceDate"]),
        }
    )


def test_serves_the_best_algorithm_of_its_own_evaluation() -> None:
    out = build_outputs(_purchases(), config=RecsConfig())
    assert out.evaluation is not None
    results = out.evaluation["results"]
    best = max(results, key=lambda a: results[a]["ndcg@10"])
    assert out.selection["algorithm"] == best
    assert out.model.name == best
    assert set(out.customer_recommendations["algorithm"]) == {best}
    assert "best nDCG@10" in out.selection["reason"]
    served = out.metrics[out.metrics["metric"] == "served"].set_index("algorithm")["value"]
    assert served[best] == 1.0
    assert served.sum() == 1.0


def test_configured_algorithm_kept_when_asked() -> None:
    out = build_outputs(_purchases(), config=RecsConfig(algorithm="itemknn", serve_winner=False))
    assert out.model.name == "itemknn"
    assert out.selection["reason"].startswith("configured")
