"""The purchase lines of one imported source, with the import's cleaning (for model commands).

``clv fit``, ``churn evaluate`` and ``recs evaluate`` take ``--source NAME`` instead of a raw
file: they read the source's standardized orders and lines from the published snapshot, so the
mapping's work is reused — exact duplicate rows already dropped, quarantined rows left out,
lines classified (goods ``sale`` lines only: no returns or credit notes, no postage or other
adjustments such as the UCI export's ``POST``), customer ids as the source wrote them (text,
``12349`` not ``12349.0``) — and the money is in the source's currency. Every excluded line is
counted by reason.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from omniretail.platform.engine.base import AnalyticsEngine
from omniretail.platform.errors import InvalidInput, NotFound


def _lit(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def source_purchases(engine: AnalyticsEngine, *, source: str) -> tuple[pa.Table, dict[str, Any]]:
    """(lines, report): one row per goods line of a paid order of an identified customer —
    ``customer_id`` (the source's own id, text), ``order_id``, ``purchased_at``, ``sku``,
    ``quantity``, ``amount`` — and what was excluded, by reason."""
    if not (engine.table_exists("std_orders") and engine.table_exists("std_order_lines")):
        raise NotFound(
            "no standardized orders yet: import the source and run `omniretail pipeline run` first",
            field="source",
        )
    src = _lit(source)
    known = [str(r["source"]) for r in engine.fetch_rows(
        "SELECT DISTINCT source FROM std_orders ORDER BY 1"
    )]  # fmt: skip
    if source not in known:
        raise InvalidInput(
            f"source {source!r} has no imported orders; imported sources: "
            f"{', '.join(known) or 'none'}",
            field="source",
        )
    prefix = f"{source}:"
    joined = f"""
        SELECT o.order_id, o.status, o.record_key, o.ordered_at, o.currency,
               l.sku, l.quantity, l.amount, l.line_kind
        FROM std_order_lines l JOIN std_orders o USING (source, order_id)
        WHERE o.source = {src}"""
    counts = engine.fetch_rows(
        f"""SELECT count(*) AS lines,
            count(*) FILTER (WHERE status = 'cancelled') AS cancelled_order_lines,
            count(*) FILTER (WHERE status = 'returned') AS returned_order_lines,
            count(*) FILTER (WHERE status = 'paid' AND record_key IS NULL) AS anonymous_lines,
            count(*) FILTER (WHERE status = 'paid' AND record_key IS NOT NULL
                             AND line_kind = 'adjustment') AS adjustment_lines,
            count(*) FILTER (WHERE status = 'paid' AND record_key IS NOT NULL
                             AND line_kind = 'return') AS return_lines,
            count(*) FILTER (WHERE status = 'paid' AND record_key IS NOT NULL
                             AND coalesce(line_kind, 'sale') = 'sale'
                             AND (quantity IS NULL OR quantity <= 0)) AS non_positive_quantity
        FROM ({joined}) j"""
    )[0]
    lines = engine.fetch_arrow(
        f"""SELECT CASE WHEN starts_with(record_key, {_lit(prefix)})
                        THEN substr(record_key, {len(prefix) + 1}) ELSE record_key END
                     AS customer_id,
                   order_id, ordered_at AS purchased_at, sku,
                   CAST(quantity AS DOUBLE) AS quantity, CAST(amount AS DOUBLE) AS amount
            FROM ({joined}) j
            WHERE status = 'paid' AND record_key IS NOT NULL
              AND coalesce(line_kind, 'sale') = 'sale' AND quantity > 0
            ORDER BY customer_id, purchased_at, order_id, sku"""
    )
    currencies = [
        str(r["currency"])
        for r in engine.fetch_rows(
            f"SELECT DISTINCT currency FROM std_orders WHERE source = {src}"
            " AND currency IS NOT NULL ORDER BY 1"
        )
    ]
    excluded = {k: int(v) for k, v in counts.items() if k != "lines" and v}
    report = {
        "source": source,
        "lines": int(counts["lines"]),
        "purchase_lines": lines.num_rows,
        "excluded": excluded,
        "cleaning": "the import's: exact duplicate rows dropped and quarantined rows left out "
        "at import (see `omniretail quality report`); here only goods lines of paid orders of "
        "identified customers",
        "currency": currencies[0] if len(currencies) == 1 else None,
        "currencies": currencies,
    }
    return lines, report
