"""Consent per channel (营销触达许可): every opt-in and opt-out is kept; an opt-out always wins.

Sources report consent as a boolean per channel on each identity record (true: opted in,
false: opted out, null: unknown). ``consent_events`` keeps each reported value with its
source and time; the customer's consent for a channel is ``false`` if any source reports an
opt-out, else ``true`` if any source reports an opt-in, else unknown (null).
"""

from __future__ import annotations

CHANNELS = ("sms", "email", "wechat", "app_push")


def consent_aggregates(alias: str = "r") -> str:
    """Select-list items aggregating a customer's consent per channel."""
    items = []
    for ch in CHANNELS:
        col = f"{alias}.consent_{ch}"
        items.append(
            f"CASE WHEN bool_or({col} = FALSE) THEN FALSE"
            f" WHEN bool_or({col} = TRUE) THEN TRUE END AS consent_{ch}"
        )
    return ",\n".join(items)


def consent_events_sql(records: str, columns: set[str]) -> str:
    """One row per (record, channel) with a reported value, from ``records`` (which has
    ``customer_id``, ``record_key``, ``source``, ``observed_at`` and the consent columns)."""
    parts = [
        f"SELECT customer_id, record_key, source, '{ch}' AS channel, consent_{ch} AS granted,"
        f" observed_at FROM {records} WHERE consent_{ch} IS NOT NULL"
        for ch in CHANNELS
        if f"consent_{ch}" in columns
    ]
    if not parts:
        return (
            "SELECT CAST(NULL AS VARCHAR) AS customer_id, CAST(NULL AS VARCHAR) AS record_key,"
            " CAST(NULL AS VARCHAR) AS source, CAST(NULL AS VARCHAR) AS channel,"
            " CAST(NULL AS BOOLEAN) AS granted, CAST(NULL AS TIMESTAMP) AS observed_at WHERE FALSE"
        )
    return " UNION ALL ".join(parts)
