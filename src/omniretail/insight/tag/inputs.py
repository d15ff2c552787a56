"""Make sure the contract tables the insight steps read exist (empty when a world has none)."""

from __future__ import annotations

from omniretail.platform.engine.base import AnalyticsEngine

# optional inputs and an empty stand-in with the contract's columns
_EMPTY: dict[str, str] = {
    "events": (
        "SELECT CAST(NULL AS VARCHAR) AS source, CAST(NULL AS VARCHAR) AS event_id, "
        "CAST(NULL AS VARCHAR) AS record_key, CAST(NULL AS VARCHAR) AS customer_id, "
        "CAST(NULL AS VARCHAR) AS event_type, CAST(NULL AS TIMESTAMP) AS occurred_at, "
        "CAST(NULL AS VARCHAR) AS channel_code, CAST(NULL AS VARCHAR) AS store_code, "
        "CAST(NULL AS VARCHAR) AS sku, CAST(NULL AS VARCHAR) AS properties LIMIT 0"
    ),
    "reviews": (
        "SELECT CAST(NULL AS VARCHAR) AS source, CAST(NULL AS VARCHAR) AS review_id, "
        "CAST(NULL AS VARCHAR) AS record_key, CAST(NULL AS VARCHAR) AS customer_id, "
        "CAST(NULL AS VARCHAR) AS order_id, CAST(NULL AS VARCHAR) AS sku, "
        "CAST(NULL AS INTEGER) AS rating, CAST(NULL AS VARCHAR) AS text, "
        "CAST(NULL AS TIMESTAMP) AS created_at LIMIT 0"
    ),
    "dim_channel": (
        "SELECT CAST(NULL AS VARCHAR) AS channel_code, CAST(NULL AS VARCHAR) AS name, "
        "CAST(NULL AS VARCHAR) AS name_en, CAST(NULL AS VARCHAR) AS kind, "
        "CAST(NULL AS VARCHAR) AS domain, CAST(NULL AS VARCHAR) AS platform LIMIT 0"
    ),
    "dim_store": (
        "SELECT CAST(NULL AS VARCHAR) AS store_code, CAST(NULL AS VARCHAR) AS name, "
        "CAST(NULL AS VARCHAR) AS store_type, CAST(NULL AS VARCHAR) AS province, "
        "CAST(NULL AS VARCHAR) AS city, CAST(NULL AS VARCHAR) AS region, "
        "CAST(NULL AS DOUBLE) AS latitude, CAST(NULL AS DOUBLE) AS longitude, "
        "CAST(NULL AS DATE) AS opened_on LIMIT 0"
    ),
    "dim_product": (
        "SELECT CAST(NULL AS VARCHAR) AS sku, CAST(NULL AS VARCHAR) AS name, "
        "CAST(NULL AS VARCHAR) AS category_code, CAST(NULL AS VARCHAR) AS category_name, "
        "CAST(NULL AS VARCHAR) AS parent_category_code, CAST(NULL AS VARCHAR) AS brand, "
        "CAST(NULL AS VARCHAR) AS flavor, CAST(NULL AS DECIMAL(12, 2)) AS price, "
        "CAST(NULL AS DATE) AS launch_date, CAST(NULL AS INTEGER) AS replenish_days LIMIT 0"
    ),
}

REQUIRED = ("customers", "orders", "order_lines")


def missing_required(engine: AnalyticsEngine) -> list[str]:
    return [t for t in REQUIRED if not engine.table_exists(t)]


def ensure_optional(engine: AnalyticsEngine) -> list[str]:
    """Create empty stand-ins for optional inputs; returns the names created."""
    created = []
    for name, sql in _EMPTY.items():
        if not engine.table_exists(name):
            engine.materialize(name, sql)
            created.append(name)
    return created
