"""Repurchase timing for replenishment categories (补货提醒).

Per customer × category: the usual time between purchases is the median of the customer's
own intervals when there are at least ``min_intervals`` of them, else the category's
``dim_product.replenish_days``. The next purchase is due that many days after the last one:
"通常每~30天购买一次坚果；5天后到期 / usually buys nuts every ~30 days; due in 5 days".
"""

from __future__ import annotations

from datetime import date

from omniretail.platform.engine.base import AnalyticsEngine

LINES_SQL = """
SELECT CAST(o.customer_id AS VARCHAR) AS customer_id,
       CAST(o.ordered_at AS DATE) AS day,
       CAST(p.category_code AS VARCHAR) AS category_code,
       any_value(p.category_name) OVER (PARTITION BY p.category_code) AS category_name,
       p.replenish_days
FROM orders o
JOIN order_lines l ON l.source = o.source AND l.order_id = o.order_id
JOIN dim_product p ON p.sku = l.sku
WHERE o.customer_id IS NOT NULL AND o.ordered_at IS NOT NULL
  AND coalesce(o.status, 'paid') = 'paid' AND p.category_code IS NOT NULL
"""


def replenishment_sql(lines: str, as_of: date, *, min_intervals: int = 2) -> str:
    """Canonical SQL: one row per customer × replenishable category with a due date."""
    cut = f"DATE '{as_of.isoformat()}'"
    return f"""
WITH l AS ({lines}),
days AS (
    SELECT customer_id, category_code, any_value(category_name) AS category_name,
           max(replenish_days) AS replenish_days, day
    FROM l WHERE day <= {cut}
    GROUP BY customer_id, category_code, day
),
gaps AS (
    SELECT *, date_diff('day', lag(day) OVER (PARTITION BY customer_id, category_code
                                               ORDER BY day), day) AS gap
    FROM days
),
per AS (
    SELECT customer_id, category_code, any_value(category_name) AS category_name,
           count(*) AS purchases, max(day) AS last_purchase_day,
           max(replenish_days) AS replenish_days,
           count(gap) AS intervals, median(gap) AS median_gap
    FROM gaps GROUP BY customer_id, category_code
),
chosen AS (
    SELECT *,
        CASE WHEN intervals >= {int(min_intervals)} THEN CAST(round(median_gap) AS INTEGER)
             ELSE CAST(replenish_days AS INTEGER) END AS usual_interval_days,
        CASE WHEN intervals >= {int(min_intervals)} THEN 'observed' ELSE 'catalog' END
            AS interval_source
    FROM per
)
SELECT customer_id, category_code, category_name, purchases, intervals, interval_source,
       usual_interval_days, last_purchase_day,
       CAST(last_purchase_day + usual_interval_days * INTERVAL 1 DAY AS DATE) AS due_date,
       date_diff('day', {cut},
           CAST(last_purchase_day + usual_interval_days * INTERVAL 1 DAY AS DATE)) AS due_in_days
FROM chosen
WHERE usual_interval_days IS NOT NULL AND usual_interval_days > 0
  AND (replenish_days IS NOT NULL OR intervals >= {int(min_intervals)})
"""


def build(engine: AnalyticsEngine, as_of: date, *, table: str = "customer_replenishment") -> int:
    """Materialize ``table`` with due dates and zh/en messages; returns its row count."""
    if not all(engine.table_exists(t) for t in ("orders", "order_lines", "dim_product")):
        return 0
    base = replenishment_sql(LINES_SQL, as_of)
    engine.materialize(
        table,
        f"""SELECT r.*,
            '通常每~' || usual_interval_days || '天购买一次'
              || coalesce(category_name, category_code) || '；'
              || CASE WHEN due_in_days > 0 THEN due_in_days || '天后到期'
                             WHEN due_in_days = 0 THEN '今天到期'
                             ELSE '已逾期' || (-due_in_days) || '天' END AS message_zh,
            'usually buys ' || coalesce(category_name, category_code) || ' every ~'
              || usual_interval_days || ' days; '
              || CASE WHEN due_in_days > 0 THEN 'due in ' || due_in_days || ' days'
                      WHEN due_in_days = 0 THEN 'due today'
                      ELSE 'overdue by ' || (-due_in_days) || ' days' END AS message_en
        FROM ({base}) r ORDER BY customer_id, due_date""",
    )
    return int(engine.scalar(f"SELECT count(*) FROM {table}"))
