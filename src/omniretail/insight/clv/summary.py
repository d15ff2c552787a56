"""Transactions → per-customer (frequency, recency, T, monetary) summary, in the engine.

Conventions follow Fader, Hardie & Lee (2005) and ``lifetimes``' ``summary_data_from_
transaction_data(freq="D", freq_multiplier=...)``:

- purchases are aggregated to one purchase occasion per customer and calendar day;
- ``frequency`` = number of purchase days in the calibration window − 1 (repeat purchases);
- ``recency`` = days between the first and the last purchase day, in periods;
- ``T`` = days between the first purchase day and the calibration end, in periods;
- ``monetary`` = mean spend of the repeat purchase days (the first is left out), null if none;
- a period is 1 day (``day``) or 7 days (``week``; fractional weeks, as in the CDNOW data).

With a holdout end, each customer also gets ``holdout_frequency`` (purchase days after the
calibration end up to the holdout end) and ``holdout_monetary``. All SQL is canonical
(DuckDB dialect) and runs through the :class:`AnalyticsEngine`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from omniretail.insight.history.errors import SummaryInvalid
from omniretail.platform.engine.dialect import date_literal, ident

PERIOD_DAYS = {"day": 1, "week": 7}


def period_days(period: str) -> int:
    try:
        return PERIOD_DAYS[period]
    except KeyError:
        raise SummaryInvalid(
            f"unknown period {period!r}; choose one of {sorted(PERIOD_DAYS)}", field="period"
        ) from None


@dataclass(frozen=True)
class SummarySpec:
    """Where the transactions are and how to read them (column names of the source table)."""

    source: str
    customer_col: str
    date_col: str
    amount_col: str | None = None
    calibration_end: date | None = None
    holdout_end: date | None = None
    period: str = "week"


def purchase_days_sql(spec: SummarySpec) -> str:
    """One row per customer and purchase day with the day's spend (rows without a customer,
    a date or with a negative amount (a return) are not purchases)."""
    amount = f"CAST({ident(spec.amount_col)} AS DOUBLE)" if spec.amount_col else "NULL::DOUBLE"
    where = [
        f"{ident(spec.customer_col)} IS NOT NULL",
        f"{ident(spec.date_col)} IS NOT NULL",
    ]
    if spec.amount_col:
        where.append(f"CAST({ident(spec.amount_col)} AS DOUBLE) >= 0")
    return (
        f"SELECT CAST({ident(spec.customer_col)} AS VARCHAR) AS customer_id, "
        f"CAST({ident(spec.date_col)} AS DATE) AS purchase_day, SUM({amount}) AS spend "
        f"FROM {ident(spec.source)} WHERE {' AND '.join(where)} GROUP BY 1, 2"
    )


def summary_sql(spec: SummarySpec) -> str:
    """The per-customer RFM summary as one canonical-dialect query."""
    if spec.calibration_end is None:
        raise SummaryInvalid("a calibration end date is needed", field="calibration_end")
    days = period_days(spec.period)
    cal = date_literal(spec.calibration_end)
    hold = date_literal(spec.holdout_end) if spec.holdout_end else None
    holdout_cols = (
        f", COUNT(*) FILTER (WHERE d.purchase_day > {cal} AND d.purchase_day <= {hold}) "
        "AS holdout_frequency, "
        f"AVG(d.spend) FILTER (WHERE d.purchase_day > {cal} AND d.purchase_day <= {hold}) "
        "AS holdout_monetary"
        if hold
        else ""
    )
    return f"""
WITH d AS ({purchase_days_sql(spec)}),
firsts AS (
    SELECT customer_id, MIN(purchase_day) AS first_day
    FROM d WHERE purchase_day <= {cal} GROUP BY customer_id
)
SELECT
    f.customer_id,
    CAST(COUNT(*) FILTER (WHERE d.purchase_day <= {cal}) - 1 AS DOUBLE) AS frequency,
    date_diff('day', f.first_day, MAX(d.purchase_day) FILTER (WHERE d.purchase_day <= {cal}))
        / {days}.0 AS recency,
    date_diff('day', f.first_day, {cal}) / {days}.0 AS T,
    AVG(d.spend) FILTER (WHERE d.purchase_day <= {cal} AND d.purchase_day > f.first_day)
        AS monetary,
    f.first_day,
    MAX(d.purchase_day) FILTER (WHERE d.purchase_day <= {cal}) AS last_day{holdout_cols}
FROM firsts f JOIN d ON d.customer_id = f.customer_id
GROUP BY f.customer_id, f.first_day
"""
