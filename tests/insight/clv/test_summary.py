"""The engine summary against a hand-computed example."""

from __future__ import annotations

from datetime import date

import pyarrow as pa
import pytest

from omniretail.insight.clv.service import summarize
from omniretail.insight.clv.summary import SummarySpec, summary_sql
from omniretail.insight.history.errors import SummaryInvalid
from omniretail.platform.engine.duckdb import DuckDBEngine

ROWS = [
    # customer, date, amount
    ("A", "2024-01-01", 10.0),
    ("A", "2024-01-01", 5.0),  # same day: one purchase occasion worth 15
    ("A", "2024-01-08", 20.0),
    ("A", "2024-01-22", 40.0),
    ("A", "2024-02-05", 99.0),  # after calibration end: holdout
    ("B", "2024-01-15", 30.0),
    ("B", "2024-02-01", 12.0),  # holdout
    ("B", "2024-02-03", 0.0),  # a free purchase still counts
    ("C", "2024-02-02", 50.0),  # first seen after calibration: not in the summary
    (None, "2024-01-03", 8.0),  # anonymous: not a customer
    ("A", "2024-01-25", -40.0),  # a return is not a purchase
]


@pytest.fixture
def engine():  # type: ignore[no-untyped-def]
    table = pa.table(
        {
            "member": [r[0] for r in ROWS],
            "paid_on": pa.array([date.fromisoformat(r[1]) for r in ROWS]),
            "paid": [r[2] for r in ROWS],
        }
    )
    with DuckDBEngine() as eng:
        eng.register_arrow("tx", table)
        yield eng


def spec(**kw) -> SummarySpec:  # type: ignore[no-untyped-def]
    base = {
        "source": "tx",
        "customer_col": "member",
        "date_col": "paid_on",
        "amount_col": "paid",
        "calibration_end": date(2024, 1, 31),
        "holdout_end": date(2024, 2, 29),
        "period": "day",
    }
    base.update(kw)
    return SummarySpec(**base)  # type: ignore[arg-type]


def test_daily_summary_by_hand(engine) -> None:  # type: ignore[no-untyped-def]
    rows = {r["customer_id"]: r for r in engine.fetch_rows(summary_sql(spec()))}
    assert set(rows) == {"A", "B"}
    a, b = rows["A"], rows["B"]
    # A: purchase days Jan 1 (15), Jan 8 (20), Jan 22 (40) -> 2 repeats, last on day 21, age 30
    assert (a["frequency"], a["recency"], a["T"]) == (2.0, 21.0, 30.0)
    assert a["monetary"] == pytest.approx(30.0)  # (20 + 40) / 2, first purchase left out
    assert a["holdout_frequency"] == 1
    assert a["holdout_monetary"] == pytest.approx(99.0)
    # B: one purchase on Jan 15 -> no repeat, age 16 days; two holdout purchases
    assert (b["frequency"], b["recency"], b["T"], b["monetary"]) == (0.0, 0.0, 16.0, None)
    assert b["holdout_frequency"] == 2
    assert b["holdout_monetary"] == pytest.approx(6.0)


def test_weekly_periods_are_fractional_weeks(engine) -> None:  # type: ignore[no-untyped-def]
    summary = summarize(engine, spec(period="week", holdout_end=None))
    i = summary.customer_id.index("A")
    assert summary.recency[i] == pytest.approx(3.0)
    assert summary.T[i] == pytest.approx(30 / 7)
    assert summary.holdout_frequency is None


def test_unknown_period_is_refused(engine) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(SummaryInvalid) as err:
        summary_sql(spec(period="month"))
    assert err.value.field == "period"


def test_summary_sql_transpiles_to_spark() -> None:
    """The canonical SQL stays engine-neutral: sqlglot can render it for Spark."""
    import sqlglot

    from omniretail.insight.churn.features import ORDERS_PURCHASES_SQL, features_sql

    for sql in (
        summary_sql(spec()),
        features_sql(ORDERS_PURCHASES_SQL, date(2025, 3, 31), horizon_days=90, events="events"),
    ):
        spark = sqlglot.transpile(sql, read="duckdb", write="spark")[0]
        assert "DATEDIFF" in spark.upper()
