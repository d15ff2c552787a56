"""Churn risk on a synthetic history with known signal: time split, AUC, calibration, words."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from omniretail.insight.churn import service
from omniretail.insight.churn.factors import PHRASES, describe
from omniretail.insight.churn.features import BASE_FEATURES, ORDERS_PURCHASES_SQL, features_sql
from omniretail.insight.churn.model import evaluate
from omniretail.insight.history.errors import SummaryInvalid
from omniretail.platform.engine.duckdb import DuckDBEngine
from tests.insight.churn.synthetic import END, history, load


@pytest.fixture(scope="module")
def engine():  # type: ignore[no-untyped-def]
    with DuckDBEngine() as eng:
        load(eng, history(n=1200, seed=3))
        yield eng


def test_auc_and_calibration_on_a_time_split(engine) -> None:  # type: ignore[no-untyped-def]
    result = service.train_and_score(
        engine, purchases_sql=ORDERS_PURCHASES_SQL, as_of=END, events="events"
    )
    test = result.report["test"]
    assert test["auc"] > 0.7
    assert test["brier"] < 0.2
    assert sum(b["customers"] for b in test["reliability"]) == test["customers"]
    # reliability: predicted and observed rates agree within 0.15 in every well-filled bin
    for b in test["reliability"]:
        if b["customers"] >= 50:
            assert abs(b["mean_predicted"] - b["observed_rate"]) < 0.15, b
    assert result.report["train_cutoff"] < result.report["test_cutoff"] < END.isoformat()
    assert "events_30d" in result.report["coefficients"]


def test_scores_carry_factors_in_words(engine) -> None:  # type: ignore[no-untyped-def]
    scores = service.train_and_score(engine, purchases_sql=ORDERS_PURCHASES_SQL, as_of=END).scores
    assert scores["churn_risk"].between(0, 1).all()
    risky = scores.sort_values("churn_risk").iloc[-1]
    assert 1 <= len(risky["churn_top_factors"]) <= 3
    zh, en = risky["churn_top_factors"][0].split(" / ")
    assert any("\u4e00" <= ch <= "\u9fff" for ch in zh)
    assert not any("\u4e00" <= ch <= "\u9fff" for ch in en)


def test_labels_by_hand() -> None:
    import pyarrow as pa

    orders = pa.table(
        {
            "customer_id": ["A", "A", "B", "B"],
            "ordered_at": pa.array(
                [date(2025, 1, 1), date(2025, 3, 1), date(2025, 2, 1), date(2025, 5, 15)]
            ),
            "status": ["paid"] * 4,
            "paid_amount": [10.0, 20.0, 30.0, 40.0],
            "gross_amount": [10.0, 25.0, 30.0, 40.0],
            "discount_amount": [0.0, 5.0, 0.0, 0.0],
            "channel_code": ["pos", "mini", "pos", "pos"],
        }
    )
    with DuckDBEngine() as eng:
        eng.register_arrow("orders", orders)
        rows = {
            r["customer_id"]: r
            for r in eng.fetch_rows(
                features_sql(ORDERS_PURCHASES_SQL, date(2025, 3, 31), horizon_days=60)
            )
        }
    a, b = rows["A"], rows["B"]
    assert a["churned"] == 1  # nothing from Apr 1 to May 30
    assert b["churned"] == 0  # bought May 15
    assert a["days_since_last_purchase"] == 30
    assert a["orders_90d"] == 2
    assert a["channels_365d"] == 2
    assert a["discount_share"] == pytest.approx(5 / 35)
    assert a["overdue_ratio"] == pytest.approx(30 / 59)  # 59 days between A's two purchases
    assert b["overdue_ratio"] == pytest.approx(58 / 90)  # one purchase: a 90-day yardstick
    assert set(BASE_FEATURES) <= set(a)


def test_every_feature_has_words() -> None:
    for name in (*BASE_FEATURES, "events_30d"):
        for high in (True, False):
            zh, en = describe(name, 3.0, high=high)
            assert zh
            assert en
    assert describe("days_since_last_purchase", 90, high=True) == (
        "近90天未购买",
        "no purchase in 90 days",
    )
    assert set(PHRASES) == {*BASE_FEATURES, "events_30d"}


def test_too_little_history_is_a_clear_error() -> None:
    import pyarrow as pa

    with DuckDBEngine() as eng:
        eng.register_arrow(
            "orders",
            pa.table(
                {
                    "customer_id": ["A"],
                    "ordered_at": pa.array([date(2025, 1, 1)]),
                    "status": ["paid"],
                    "paid_amount": [1.0],
                    "gross_amount": [1.0],
                    "discount_amount": [0.0],
                    "channel_code": ["pos"],
                }
            ),
        )
        with pytest.raises(SummaryInvalid, match="too little history"):
            service.train_and_score(
                eng, purchases_sql=ORDERS_PURCHASES_SQL, as_of=date(2025, 12, 31)
            )


def test_evaluate_perfect_and_random() -> None:
    y = np.array([0, 0, 1, 1])
    assert evaluate(y, np.array([0.1, 0.2, 0.8, 0.9]))["auc"] == 1.0
    assert evaluate(y, np.array([0.5, 0.5, 0.5, 0.5]))["auc"] == 0.5
