"""Lifecycle stages (生命周期) with category-aware windows.

A customer's expected cycle is their own repurchase cycle when they bought on at least three
days, else the unit-weighted ``replenish_days`` of the products they buy (``dim_product``),
else 30 days. Windows scale with it: a customer who buys drinks weekly is dormant after a few
weeks of silence, one who buys gift boxes twice a year is not.

- prospect 潜客: no paid order;
- churned 流失: no order for ``max(churn_min, churn_factor × cycle)`` days;
- dormant 沉睡 (declining): no order for ``max(dormant_min, dormant_factor × cycle)`` days;
- new 新客: first order within ``new_days`` (and only one purchase day);
- mature 成熟: ``mature_orders`` or more paid orders in the last 365 days;
- growing 成长: everyone else who is active.
"""

from __future__ import annotations

from dataclasses import dataclass

STAGES: dict[str, tuple[str, str]] = {
    "prospect": ("潜客", "Prospect"),
    "new": ("新客", "New"),
    "growing": ("成长期", "Growing"),
    "mature": ("成熟期", "Mature"),
    "dormant": ("沉睡期(衰退)", "Declining / dormant"),
    "churned": ("流失", "Churned"),
}


@dataclass(frozen=True)
class LifecycleConfig:
    new_days: int = 60
    mature_orders: int = 6
    dormant_factor: float = 3.0
    dormant_min: int = 60
    churn_factor: float = 8.0
    churn_min: int = 180
    default_cycle: int = 30


def lifecycle_sql(config: LifecycleConfig | None = None) -> str:
    cfg = config or LifecycleConfig()
    return f"""
WITH base AS (
  SELECT customer_id, orders_total, orders_365d, purchase_days, recency_days,
         first_order_days_ago,
         CAST(floor(10 * CASE
           WHEN purchase_days >= 3
             THEN CAST(first_order_days_ago - recency_days AS DOUBLE) / (purchase_days - 1)
           WHEN replenish_days IS NOT NULL THEN replenish_days
           ELSE {cfg.default_cycle} END + 0.5) / 10 AS DOUBLE) AS cycle_days
  FROM customer_features
), windows AS (
  SELECT *,
    CAST(greatest({cfg.dormant_min}, ceil({cfg.dormant_factor} * cycle_days)) AS INTEGER)
      AS dormant_after_days,
    CAST(greatest({cfg.churn_min}, ceil({cfg.churn_factor} * cycle_days)) AS INTEGER)
      AS churn_after_days
  FROM base
)
SELECT customer_id, cycle_days, dormant_after_days, churn_after_days,
       recency_days AS days_since_last_order,
       CASE
         WHEN orders_total = 0 THEN 'prospect'
         WHEN recency_days > churn_after_days THEN 'churned'
         WHEN recency_days > dormant_after_days THEN 'dormant'
         WHEN first_order_days_ago < {cfg.new_days} AND purchase_days <= 1 THEN 'new'
         WHEN orders_365d >= {cfg.mature_orders} THEN 'mature'
         ELSE 'growing'
       END AS stage
FROM windows
"""
