"""Attribution of orders to shopping guides (导购业绩归属), in the analytics engine.

Every unified order (``orders``: any channel, its customer resolved by the CDP's identity
graph) is credited to the clerk the customer was bound to **at order time**: the relationship
period with ``bound_at <= ordered_at < ended_at`` (open-ended while it lasts). Periods of one
customer never overlap (the operational rules end one before starting the next); should two
ever touch the same instant, the later-bound period wins, then the higher binding id — so the
credit is a pure function of the inputs and a replay gives identical credits.

Credits (table ``ops_guide_attribution``, one row per order and kind):

- ``sale``: what the customer paid — a paid order's ``paid_amount`` (net of partial returns);
  a returned order's original amount (gross − discount);
- ``return``: the reversal of a returned order's credit, negative, credited to the same clerk
  at the order's time (the sale and its reversal net to what was kept); a credit note (a
  negative order, as in POS exports) is a ``return`` of its own amount.

Cancelled and unpaid orders earn nothing. ``ops_guide_clerk_sales`` sums the credits per clerk
and compares each clerk's bound customers with the randomized holdout among them (customers
bound to the clerk who get no clerk tasks): incremental sales = (net sales per treated customer
− per holdout customer) × treated customers, over the same period.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

import pyarrow as pa

from omniretail.platform.engine.base import AnalyticsEngine
from omniretail.platform.timezone import to_wall_clock

BINDINGS = "ops_guide_bindings"
CREDITS = "ops_guide_attribution"
CLERKS = "ops_guide_clerk_sales"
BINDING_SCHEMA = pa.schema(
    [
        ("binding_id", pa.int64()),
        ("customer_id", pa.string()),
        ("staff_code", pa.string()),
        ("store_code", pa.string()),
        ("bound_at", pa.timestamp("us")),
        ("ended_at", pa.timestamp("us")),
        ("holdout", pa.bool_()),
    ]
)


def _wall(t: datetime | None) -> datetime | None:
    return None if t is None else to_wall_clock(t)


def load_bindings(engine: AnalyticsEngine, chunks: Iterable[list[Any]]) -> int:
    """The relationship periods (from the operational store) as ``ops_guide_bindings``, in the
    chain's wall-clock time like every time in analytics."""
    batches = []
    for part in chunks:
        cols: dict[str, list[Any]] = {n: [] for n in BINDING_SCHEMA.names}
        for bid, cid, staff, store, bound, ended, holdout in part:
            cols["binding_id"].append(int(bid))
            cols["customer_id"].append(cid)
            cols["staff_code"].append(staff)
            cols["store_code"].append(store)
            cols["bound_at"].append(_wall(bound))
            cols["ended_at"].append(_wall(ended))
            cols["holdout"].append(bool(holdout))
        batches.append(pa.RecordBatch.from_pydict(cols, schema=BINDING_SCHEMA))
    engine.register_arrow(BINDINGS, pa.Table.from_batches(batches, schema=BINDING_SCHEMA))
    return sum(b.num_rows for b in batches)


CREDIT_SQL = f"""
WITH o AS (
  SELECT source, order_id, customer_id, ordered_at, status, channel_code,
         CAST(paid_amount AS DOUBLE) AS paid,
         CAST(coalesce(gross_amount - coalesce(discount_amount, 0), paid_amount) AS DOUBLE)
           AS original
  FROM orders
  WHERE customer_id IS NOT NULL AND ordered_at IS NOT NULL AND status IN ('paid', 'returned')
),
matched AS (
  SELECT o.*, b.staff_code, b.store_code AS clerk_store, b.binding_id, b.holdout,
         row_number() OVER (PARTITION BY o.source, o.order_id
                            ORDER BY b.bound_at DESC, b.binding_id DESC) AS rn
  FROM o JOIN {BINDINGS} b
    ON b.customer_id = o.customer_id
   AND o.ordered_at >= b.bound_at
   AND (b.ended_at IS NULL OR o.ordered_at < b.ended_at)
),
credited AS (SELECT * FROM matched WHERE rn = 1)
SELECT * FROM (
  SELECT source, order_id, customer_id, staff_code, clerk_store AS store_code, binding_id,
         holdout, channel_code, ordered_at, 'sale' AS kind,
         round(CASE WHEN status = 'paid' THEN paid ELSE original END, 2) AS amount
  FROM credited WHERE paid >= 0
  UNION ALL
  SELECT source, order_id, customer_id, staff_code, clerk_store AS store_code, binding_id,
         holdout, channel_code, ordered_at, 'return' AS kind,
         round(CASE WHEN paid < 0 THEN paid ELSE paid - original END, 2) AS amount
  FROM credited WHERE status = 'returned' OR paid < 0
) c
ORDER BY staff_code, ordered_at, source, order_id, kind
"""

CLERK_SQL = f"""
WITH bound AS (
  SELECT staff_code, store_code, customer_id, holdout, min(bound_at) AS since
  FROM {BINDINGS} WHERE ended_at IS NULL
  GROUP BY staff_code, store_code, customer_id, holdout
),
per_customer AS (
  SELECT b.staff_code, b.store_code, b.customer_id, b.holdout,
         coalesce(sum(c.amount), 0) AS net
  FROM bound b LEFT JOIN {CREDITS} c
    ON c.staff_code = b.staff_code AND c.customer_id = b.customer_id
  GROUP BY b.staff_code, b.store_code, b.customer_id, b.holdout
),
arms AS (
  SELECT staff_code, any_value(store_code) AS store_code,
         count(*) FILTER (WHERE NOT holdout) AS treated,
         count(*) FILTER (WHERE holdout) AS held_out,
         coalesce(avg(net) FILTER (WHERE NOT holdout), 0) AS net_per_treated,
         avg(net) FILTER (WHERE holdout) AS net_per_holdout
  FROM per_customer GROUP BY staff_code
),
sales AS (
  SELECT staff_code,
         count(DISTINCT source || ':' || order_id) FILTER (WHERE kind = 'sale') AS orders,
         sum(amount) FILTER (WHERE kind = 'sale') AS gross_sales,
         coalesce(sum(amount) FILTER (WHERE kind = 'return'), 0) AS returns,
         sum(amount) AS net_sales
  FROM {CREDITS} GROUP BY staff_code
)
SELECT a.staff_code, a.store_code, a.treated + a.held_out AS bound_customers, a.treated,
       a.held_out, coalesce(s.orders, 0) AS orders,
       round(coalesce(s.gross_sales, 0), 2) AS gross_sales,
       round(coalesce(s.returns, 0), 2) AS returns,
       round(coalesce(s.net_sales, 0), 2) AS net_sales,
       round(a.net_per_treated, 2) AS net_per_treated,
       round(a.net_per_holdout, 2) AS net_per_holdout,
       CASE WHEN a.held_out > 0 AND a.treated > 0
            THEN round((a.net_per_treated - a.net_per_holdout) * a.treated, 2) END
         AS incremental_sales
FROM arms a LEFT JOIN sales s USING (staff_code)
ORDER BY net_sales DESC, a.staff_code
"""


def attribute(engine: AnalyticsEngine) -> dict[str, int]:
    """Credit every order to the clerk bound at order time (needs ``orders`` and the loaded
    bindings); writes ``ops_guide_attribution`` and ``ops_guide_clerk_sales``."""
    engine.materialize(CREDITS, CREDIT_SQL)
    engine.materialize(CLERKS, CLERK_SQL)
    return {
        "credits": int(engine.scalar(f"SELECT count(*) FROM {CREDITS}")),
        "clerks": int(engine.scalar(f"SELECT count(*) FROM {CLERKS}")),
    }
