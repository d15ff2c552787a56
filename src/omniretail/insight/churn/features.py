"""Churn features and labels computed in the analytics engine (canonical SQL).

Features are taken as of a cutoff day from purchases on or before it; the label is 1 when the
customer makes no purchase in the ``horizon`` days after the cutoff (流失). A time-based split
trains on one cutoff and tests on a later one, so nothing from the future leaks in.
"""

from __future__ import annotations

from datetime import date

from omniretail.platform.engine.base import AnalyticsEngine

#: the order columns the features use, from the data contract's ``orders`` table
ORDERS_PURCHASES_SQL = """
SELECT CAST(customer_id AS VARCHAR) AS customer_id,
       CAST(ordered_at AS DATE) AS day,
       CAST(paid_amount AS DOUBLE) AS paid,
       CAST(coalesce(discount_amount, 0) AS DOUBLE) AS discount,
       CAST(coalesce(gross_amount, paid_amount) AS DOUBLE) AS gross,
       CAST(channel_code AS VARCHAR) AS channel_code
FROM orders
WHERE customer_id IS NOT NULL AND ordered_at IS NOT NULL AND coalesce(status, 'paid') = 'paid'
"""

#: the same shape from a standardized transaction file (customer_id, purchased_at, amount)
TRANSACTIONS_PURCHASES_SQL = """
SELECT customer_id, CAST(purchased_at AS DATE) AS day, coalesce(amount, 0) AS paid,
       0.0 AS discount, coalesce(amount, 0) AS gross, CAST(NULL AS VARCHAR) AS channel_code
FROM transactions
"""

BASE_FEATURES = (
    "days_since_last_purchase",
    "tenure_days",
    "purchase_days",
    "orders_90d",
    "orders_prev_90d",
    "orders_365d",
    "spend_365d",
    "overdue_ratio",
    "channels_365d",
    "discount_share",
)
EVENT_FEATURES = ("events_30d",)


def _d(day: date) -> str:
    return f"DATE '{day.isoformat()}'"


def features_sql(
    purchases: str, cutoff: date, *, horizon_days: int | None = None, events: str | None = None
) -> str:
    """One row per customer with a purchase on or before ``cutoff``; with ``horizon_days``, a
    ``churned`` label (no purchase in the following ``horizon_days``)."""
    cut = _d(cutoff)
    label = ""
    if horizon_days is not None:
        h = int(horizon_days)
        label = (
            f", CASE WHEN count(*) FILTER (WHERE day > {cut} AND day <= {cut} + INTERVAL {h} DAY)"
            " = 0 THEN 1 ELSE 0 END AS churned"
        )
    event_join = event_col = ""
    if events:
        event_join = (
            f" LEFT JOIN (SELECT CAST(customer_id AS VARCHAR) AS customer_id, count(*) AS n "
            f"FROM {events} WHERE customer_id IS NOT NULL "
            f"AND CAST(occurred_at AS DATE) > {cut} - INTERVAL 30 DAY "
            f"AND CAST(occurred_at AS DATE) <= {cut} GROUP BY 1) ev "
            f"ON ev.customer_id = f.customer_id"
        )
        event_col = ", CAST(coalesce(ev.n, 0) AS DOUBLE) AS events_30d"
    return f"""
WITH p AS ({purchases}),
f AS (
    SELECT
        customer_id,
        CAST(date_diff('day', max(day) FILTER (WHERE day <= {cut}), {cut}) AS DOUBLE)
            AS days_since_last_purchase,
        CAST(date_diff('day', min(day), {cut}) AS DOUBLE) AS tenure_days,
        CAST(count(DISTINCT day) FILTER (WHERE day <= {cut}) AS DOUBLE) AS purchase_days,
        CAST(count(*) FILTER (WHERE day <= {cut} AND day > {cut} - INTERVAL 90 DAY) AS DOUBLE)
            AS orders_90d,
        CAST(count(*) FILTER (WHERE day <= {cut} - INTERVAL 90 DAY
            AND day > {cut} - INTERVAL 180 DAY) AS DOUBLE) AS orders_prev_90d,
        CAST(count(*) FILTER (WHERE day <= {cut} AND day > {cut} - INTERVAL 365 DAY) AS DOUBLE)
            AS orders_365d,
        coalesce(sum(paid) FILTER (WHERE day <= {cut} AND day > {cut} - INTERVAL 365 DAY), 0)
            AS spend_365d,
        CAST(count(DISTINCT channel_code) FILTER (WHERE day <= {cut}
            AND day > {cut} - INTERVAL 365 DAY) AS DOUBLE) AS channels_365d,
        coalesce(sum(discount) FILTER (WHERE day <= {cut})
            / nullif(sum(gross) FILTER (WHERE day <= {cut}), 0), 0) AS discount_share{label}
    FROM p
    GROUP BY customer_id
    HAVING min(day) <= {cut}
)
SELECT f.*,
    f.days_since_last_purchase / greatest(
        CASE WHEN f.purchase_days > 1
             THEN (f.tenure_days - f.days_since_last_purchase) / (f.purchase_days - 1)
             ELSE 90.0 END, 1.0) AS overdue_ratio{event_col}
FROM f{event_join}
ORDER BY f.customer_id
"""


def feature_names(engine: AnalyticsEngine, events: str | None) -> list[str]:
    names = list(BASE_FEATURES)
    if events and engine.table_exists(events):
        names += list(EVENT_FEATURES)
    return names
