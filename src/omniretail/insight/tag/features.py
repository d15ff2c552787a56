"""Per-customer features: the aggregation stage under every tag, RFM and lifecycle.

All SQL is canonical (DuckDB dialect) and runs unchanged on Spark through sqlglot. The
stage reads the contract tables (``customers``, ``orders``, ``order_lines``, ``events``,
``reviews``, ``dim_product``, ``dim_channel``) and writes:

- ``ins_as_of``: the reference day of the run (the day of the latest order or event), so
  that results depend on the data and never on the wall clock;
- ``ins_order_facts``: one row per order (members' and anonymous) with its line totals
  (maintained incrementally; the KPIs read it too). ``online`` is true for the chain's online
  channels and third-party platforms, false for offline ones, and NULL for a channel code with
  no ``dim_channel`` row (counted as the finding ``unknown_channel`` by standardize): such an
  order is neither an online nor an offline order;
- ``ins_customer_sku_day``: partial aggregates per customer × SKU × day (incremental, append);
- ``ins_customer_sku``: per customer × SKU with the product's category, brand and flavour;
- ``ins_customer_category_day``: distinct category × day × customer of paid purchases, sorted
  (what the segment condition "bought category X on N days in D days" reads);
- ``ins_customer_orders``: the order-derived aggregates, one row per customer with an order;
- ``customer_features``: one row per customer (``customers`` joined to the order aggregates,
  with events, reviews and the most active channel computed at this last step).

Incremental refresh (the default of a daily run): orders whose ``ordered_at`` is later than
the latest order already in ``ins_order_facts`` are appended together with their lines; the
per-SKU and per-category tables are updated for the customers who bought; the order aggregates
are recomputed only for customers with new orders or with an order that crossed a window
boundary (30/90/180/365/730 days) because the reference day moved — everyone else is carried
over. Recency and tenure are derived from the first and last order days at the final join, so
they move with the reference day for everyone at no cost. A status change of an old order (a
late return) or a changed product attribute needs ``--full``.
"""

from __future__ import annotations

from omniretail.platform.engine.base import AnalyticsEngine

# A Monday, so ``(days since it) % 7 + 1`` is the ISO weekday (1 = Monday ... 7 = Sunday)
# identically on every engine (engines disagree on dayofweek/isodow numbering).
_MONDAY = "DATE '1900-01-01'"


def iso_weekday(ts: str) -> str:
    return f"(date_diff('day', {_MONDAY}, CAST({ts} AS DATE)) % 7 + 1)"


AS_OF_SQL = """
SELECT CAST(coalesce(max(d), current_date) AS DATE) AS as_of FROM (
  SELECT max(CAST(ordered_at AS DATE)) AS d FROM orders
  UNION ALL SELECT max(CAST(occurred_at AS DATE)) FROM events
  UNION ALL SELECT max(CAST(created_at AS DATE)) FROM reviews
) t
"""


def order_facts_sql(where: str = "") -> str:
    """One row per order with the customer, when/where, amounts and line totals."""
    return f"""
WITH line_totals AS (
  -- per order and SKU first, then per order: the distinct SKUs are the groups of the first
  -- pass (cheaper than count(DISTINCT) in one, which keeps a set per order)
  SELECT source, order_id, sum(units) AS units, sum(lines) AS lines,
         count(sku) AS skus
  FROM (
    SELECT l.source, l.order_id, l.sku, sum(l.quantity) AS units, count(*) AS lines
    FROM order_lines l
    {"JOIN ins_new_orders n ON n.source = l.source AND n.order_id = l.order_id" if where else ""}
    GROUP BY l.source, l.order_id, l.sku
  ) os
  GROUP BY source, order_id
)
SELECT o.customer_id, o.source, o.order_id, o.channel_code, o.store_code, o.status,
       o.fulfillment, o.payment_method, o.coupon_code,
       CAST(o.ordered_at AS TIMESTAMP) AS ordered_at,
       CAST(o.ordered_at AS DATE) AS order_day,
       hour(o.ordered_at) AS order_hour,
       {iso_weekday("o.ordered_at")} AS order_weekday,
       CAST(o.gross_amount AS DECIMAL(12, 2)) AS gross_amount,
       CAST(o.discount_amount AS DECIMAL(12, 2)) AS discount_amount,
       CAST(o.paid_amount AS DECIMAL(12, 2)) AS paid_amount,
       CAST(coalesce(lt.units, 0) AS BIGINT) AS units,
       CAST(coalesce(lt.lines, 0) AS BIGINT) AS lines,
       CAST(coalesce(lt.skus, 0) AS BIGINT) AS skus,
       c.kind IN ('online', 'platform') AS online
FROM orders o
LEFT JOIN line_totals lt ON lt.source = o.source AND lt.order_id = o.order_id
LEFT JOIN dim_channel c ON c.channel_code = o.channel_code
WHERE true {where}
"""


def customer_sku_day_sql(where: str = "") -> str:
    """Partial aggregates of paid lines per customer × SKU × day (consumers re-sum them)."""
    return f"""
WITH cat_price AS (
  SELECT category_code, avg(CAST(price AS DOUBLE)) AS avg_price FROM dim_product
  GROUP BY category_code
)
SELECT o.customer_id, l.sku, CAST(o.ordered_at AS DATE) AS order_day,
       CAST(sum(l.quantity) AS BIGINT) AS units,
       CAST(sum(l.amount) AS DECIMAL(18, 2)) AS amount,
       CAST(sum(CASE WHEN date_diff('day', p.launch_date, CAST(o.ordered_at AS DATE))
                          BETWEEN 0 AND 90 THEN l.quantity ELSE 0 END) AS BIGINT) AS new_units,
       -- per line to 6 decimals, then exact decimal sums: the same result whatever the order
       -- of summation (threads, engines, incremental appends), so price_band never flips
       CAST(sum(CAST(l.quantity * CAST(l.unit_price AS DOUBLE) / cp.avg_price AS DECIMAL(18, 6)))
            AS DECIMAL(18, 6)) AS price_index_units
FROM order_lines l
JOIN orders o ON o.source = l.source AND o.order_id = l.order_id
{"JOIN ins_new_orders n ON n.source = l.source AND n.order_id = l.order_id" if where else ""}
LEFT JOIN dim_product p ON p.sku = l.sku
LEFT JOIN cat_price cp ON cp.category_code = p.category_code
WHERE o.customer_id IS NOT NULL AND o.status = 'paid'
GROUP BY o.customer_id, l.sku, CAST(o.ordered_at AS DATE)
"""


def _top(name: str, key: str, value: str, source: str, *, grouped: bool = True) -> str:
    """CTE picking, per customer, the ``key`` with the highest ``value`` (ties: smallest key).
    ``grouped=False``: ``source`` has one row per customer and key already (``value`` is then
    a column, not an aggregate), so no second GROUP BY."""
    group = f"GROUP BY customer_id, {key}" if grouped else ""
    return f"""{name} AS (
  SELECT customer_id, top_key, score, rn, n_keys FROM (
    SELECT customer_id, {key} AS top_key, {value} AS score,
           row_number() OVER (PARTITION BY customer_id ORDER BY {value} DESC, {key}) AS rn,
           count(*) OVER (PARTITION BY customer_id) AS n_keys
    FROM {source} {group}
  ) t WHERE rn <= 2
)"""


_DAYPART = (
    "CASE WHEN order_hour < 11 THEN 'morning' WHEN order_hour < 17 THEN 'afternoon' "
    "WHEN order_hour < 21 THEN 'evening' ELSE 'night' END"
)
_STORE_ORDERS = "(SELECT * FROM paid WHERE store_code IS NOT NULL AND days_ago < 365) s"


def customer_sku_sql(scope: str = "") -> str:
    """Per customer × SKU with the product's attributes (``scope`` as in customer_orders_sql)."""
    return f"""
SELECT s.*, p.category_code, p.parent_category_code, p.brand, p.flavor, p.replenish_days
FROM (
  SELECT customer_id, sku, sum(units) AS units, sum(amount) AS amount,
         sum(new_units) AS new_units,
         CAST(sum(price_index_units) AS DECIMAL(18, 6)) AS price_index_units
  FROM ins_customer_sku_day o WHERE true {scope} GROUP BY customer_id, sku
) s LEFT JOIN dim_product p ON p.sku = s.sku
"""


CUSTOMER_SKU_SQL = customer_sku_sql()


def customer_category_day_sql(source: str = "ins_customer_sku_day") -> str:
    """Distinct (category, day, customer) of paid purchases, sorted by category then day, so
    that the segment condition "bought category X on N days in the last D days" reads one
    narrow, pruned slice (zone maps / Parquet row-group statistics) instead of joining SKU rows
    to products."""
    return f"""
SELECT p.category_code, s.order_day, s.customer_id
FROM {source} s JOIN dim_product p ON p.sku = s.sku
WHERE p.category_code IS NOT NULL
GROUP BY p.category_code, s.order_day, s.customer_id
ORDER BY p.category_code, s.order_day, s.customer_id
"""


def customer_orders_sql(scope: str = "") -> str:
    """Order-derived aggregates, one row per customer with an order (``scope``: a condition on
    ``customer_id`` restricting the customers recomputed by an incremental run)."""
    return f"""
WITH a AS (SELECT as_of FROM ins_as_of),
f AS (
  SELECT o.*, date_diff('day', o.order_day, a.as_of) AS days_ago FROM ins_order_facts o, a
  WHERE o.customer_id IS NOT NULL {scope}
),
cs AS (SELECT * FROM ins_customer_sku o WHERE true {scope}),
paid AS (SELECT * FROM f WHERE status = 'paid'),
ord AS (
  SELECT customer_id,
    count(*) AS orders_total,
    count(*) FILTER (WHERE days_ago < 30) AS orders_30d,
    count(*) FILTER (WHERE days_ago < 90) AS orders_90d,
    count(*) FILTER (WHERE days_ago < 180) AS orders_180d,
    count(*) FILTER (WHERE days_ago < 365) AS orders_365d,
    count(*) FILTER (WHERE days_ago >= 365 AND days_ago < 730) AS orders_prev_365d,
    CAST(sum(paid_amount) AS DOUBLE) AS sales_total,
    CAST(coalesce(sum(paid_amount) FILTER (WHERE days_ago < 30), 0) AS DOUBLE) AS sales_30d,
    CAST(coalesce(sum(paid_amount) FILTER (WHERE days_ago < 90), 0) AS DOUBLE) AS sales_90d,
    CAST(coalesce(sum(paid_amount) FILTER (WHERE days_ago < 365), 0) AS DOUBLE) AS sales_365d,
    CAST(coalesce(sum(paid_amount) FILTER (WHERE days_ago >= 365 AND days_ago < 730), 0)
         AS DOUBLE) AS sales_prev_365d,
    CAST(max(paid_amount) AS DOUBLE) AS max_order_amount,
    CAST(sum(gross_amount) AS DOUBLE) AS gross_total,
    CAST(sum(discount_amount) AS DOUBLE) AS discount_total,
    sum(units) AS units_total, sum(lines) AS lines_total,
    count(*) FILTER (WHERE coupon_code IS NOT NULL) AS coupon_orders,
    count(*) FILTER (WHERE online) AS online_orders,
    count(*) FILTER (WHERE NOT online) AS offline_orders,
    count(*) FILTER (WHERE fulfillment IN ('delivery', 'express')) AS delivery_orders,
    count(*) FILTER (WHERE order_weekday >= 6) AS weekend_orders,
    min(order_day) AS first_order_day, max(order_day) AS last_order_day,
    count(DISTINCT channel_code) AS channel_count,
    count(DISTINCT store_code) AS store_count
  FROM paid GROUP BY customer_id
),
buy_days AS (
  SELECT customer_id, count(*) AS purchase_days,
         count(DISTINCT CASE WHEN days_ago < 365 THEN date_trunc('month', order_day) END)
           AS active_months_12m
  FROM (SELECT customer_id, order_day, min(days_ago) AS days_ago FROM paid
        GROUP BY customer_id, order_day) d
  GROUP BY customer_id
),
anyst AS (
  SELECT customer_id,
    count(*) FILTER (WHERE status = 'returned') AS returned_orders,
    count(*) FILTER (WHERE status = 'cancelled') AS cancelled_orders,
    -- credit notes: returns after fulfilment recorded as their own document with negative
    -- amounts, netted from sales (a returned order that carries its positive amount was never
    -- counted as paid, so it is not subtracted again); docs/data-contract.md
    CAST(coalesce(-sum(paid_amount) FILTER (WHERE status = 'returned' AND paid_amount < 0), 0)
         AS DOUBLE) AS returns_total
  FROM f GROUP BY customer_id
),
{_top("daypart", _DAYPART, "count(*)", "paid")},
{_top("weekday", "order_weekday", "count(*)", "paid")},
{_top("payment", "payment_method", "count(*)", "paid")},
{_top("fulfil", "fulfillment", "count(*)", "paid")},
{_top("chan_orders", "channel_code", "count(*)", "paid")},
{_top("store_pref", "store_code", "count(*) * 100000 - min(days_ago)", _STORE_ORDERS)},
skuagg AS (
  SELECT customer_id,
    count(*) AS distinct_skus,
    sum(new_units) AS new_product_units,
    sum(units) AS sku_units,
    sum(price_index_units) AS price_index_units,
    sum(CAST(replenish_days AS DOUBLE) * units) AS replenish_units,
    sum(CASE WHEN replenish_days IS NOT NULL THEN units END) AS replenish_known_units
  FROM cs GROUP BY customer_id
),
{_top("cat", "category_code", "sum(units)", "cs")},
{_top("parent_cat", "parent_category_code", "sum(units)", "cs")},
{_top("brand", "brand", "sum(units)", "cs")},
{_top("flavor", "flavor", "sum(units)", "cs")},
{_top("fav_sku", "sku", "units", "cs", grouped=False)}
SELECT anyst.customer_id,
  ord.orders_total, ord.orders_30d, ord.orders_90d, ord.orders_180d, ord.orders_365d,
  ord.orders_prev_365d, ord.sales_total, ord.sales_30d, ord.sales_90d, ord.sales_365d,
  ord.sales_prev_365d, ord.max_order_amount, ord.gross_total, ord.discount_total,
  ord.units_total, ord.lines_total, ord.coupon_orders, ord.online_orders, ord.offline_orders,
  ord.delivery_orders, ord.weekend_orders, ord.first_order_day, ord.last_order_day,
  buy_days.purchase_days, buy_days.active_months_12m, ord.channel_count, ord.store_count,
  anyst.returned_orders, anyst.cancelled_orders, anyst.returns_total,
  daypart.top_key AS preferred_daypart, weekday.top_key AS preferred_weekday,
  payment.top_key AS preferred_payment, fulfil.top_key AS preferred_fulfillment,
  chan_orders.top_key AS top_order_channel, store_pref.top_key AS store_preference,
  skuagg.distinct_skus, cat.n_keys AS category_count, brand.n_keys AS brand_count,
  flavor.n_keys AS flavor_count, skuagg.new_product_units, skuagg.sku_units,
  CAST(skuagg.price_index_units AS DOUBLE) AS price_index_units,
  skuagg.replenish_units / skuagg.replenish_known_units AS replenish_days,
  cat.top_key AS top_category, cat.score AS top_category_units, cat2.top_key AS second_category,
  parent_cat.top_key AS top_parent_category, brand.top_key AS top_brand,
  flavor.top_key AS top_flavor, fav_sku.top_key AS favorite_sku
FROM anyst
LEFT JOIN ord ON ord.customer_id = anyst.customer_id
LEFT JOIN buy_days ON buy_days.customer_id = anyst.customer_id
LEFT JOIN daypart ON daypart.customer_id = anyst.customer_id AND daypart.rn = 1
LEFT JOIN weekday ON weekday.customer_id = anyst.customer_id AND weekday.rn = 1
LEFT JOIN payment ON payment.customer_id = anyst.customer_id AND payment.rn = 1
LEFT JOIN fulfil ON fulfil.customer_id = anyst.customer_id AND fulfil.rn = 1
LEFT JOIN chan_orders ON chan_orders.customer_id = anyst.customer_id AND chan_orders.rn = 1
LEFT JOIN store_pref ON store_pref.customer_id = anyst.customer_id AND store_pref.rn = 1
LEFT JOIN skuagg ON skuagg.customer_id = anyst.customer_id
LEFT JOIN cat ON cat.customer_id = anyst.customer_id AND cat.rn = 1
LEFT JOIN cat cat2 ON cat2.customer_id = anyst.customer_id AND cat2.rn = 2
LEFT JOIN parent_cat ON parent_cat.customer_id = anyst.customer_id AND parent_cat.rn = 1
LEFT JOIN brand ON brand.customer_id = anyst.customer_id AND brand.rn = 1
LEFT JOIN flavor ON flavor.customer_id = anyst.customer_id AND flavor.rn = 1
LEFT JOIN fav_sku ON fav_sku.customer_id = anyst.customer_id AND fav_sku.rn = 1
"""


# Windows (days) of the order aggregates: when the reference day moves, a customer's windowed
# values change only if one of their orders crosses one of these boundaries.
ORDER_WINDOWS = (30, 90, 180, 365, 730)

CUSTOMER_FEATURES_SQL = f"""
WITH a AS (SELECT as_of FROM ins_as_of),
activity AS (
  SELECT customer_id, channel_code,
         CASE WHEN days_ago < 30 THEN 4 WHEN days_ago < 90 THEN 2 ELSE 1 END * 2 AS w
  FROM (
    SELECT o.customer_id, o.channel_code, date_diff('day', o.order_day, a.as_of) AS days_ago
    FROM ins_order_facts o, a WHERE o.status = 'paid' AND o.customer_id IS NOT NULL
  ) paid WHERE days_ago < 180 AND channel_code IS NOT NULL
  UNION ALL
  SELECT e.customer_id, e.channel_code,
         CASE WHEN date_diff('day', CAST(e.occurred_at AS DATE), a.as_of) < 30 THEN 4
              WHEN date_diff('day', CAST(e.occurred_at AS DATE), a.as_of) < 90 THEN 2
              ELSE 1 END AS w
  FROM events e, a
  WHERE e.customer_id IS NOT NULL AND e.channel_code IS NOT NULL
    AND date_diff('day', CAST(e.occurred_at AS DATE), a.as_of) < 180
),
{_top("chan_active", "channel_code", "sum(w)", "activity")},
ev AS (
  SELECT e.customer_id,
    count(*) AS events_total,
    min(date_diff('day', CAST(e.occurred_at AS DATE), a.as_of)) AS event_recency_days,
    min(CASE WHEN e.event_type = 'store_visit'
             THEN date_diff('day', CAST(e.occurred_at AS DATE), a.as_of) END)
         AS visit_recency_days,
    count(*) FILTER (WHERE e.event_type = 'store_visit') AS store_visits,
    count(*) FILTER (WHERE e.event_type = 'store_visit'
                     AND date_diff('day', CAST(e.occurred_at AS DATE), a.as_of) < 90)
         AS store_visits_90d,
    count(*) FILTER (WHERE e.event_type = 'page_view') AS page_views,
    count(*) FILTER (WHERE e.event_type = 'product_view') AS product_views,
    count(*) FILTER (WHERE e.event_type = 'product_view'
                     AND date_diff('day', CAST(e.occurred_at AS DATE), a.as_of) < 90)
         AS product_views_90d,
    count(*) FILTER (WHERE e.event_type = 'add_to_cart') AS add_to_carts,
    count(*) FILTER (WHERE e.event_type = 'share') AS shares,
    count(*) FILTER (WHERE e.event_type = 'share'
                     AND date_diff('day', CAST(e.occurred_at AS DATE), a.as_of) < 90)
         AS shares_90d,
    count(*) FILTER (WHERE e.event_type = 'referral') AS referrals,
    count(*) FILTER (WHERE e.event_type = 'coupon_claim') AS coupon_claims,
    count(*) FILTER (WHERE e.event_type = 'coupon_claim'
                     AND date_diff('day', CAST(e.occurred_at AS DATE), a.as_of) < 90)
         AS coupon_claims_90d,
    count(*) FILTER (WHERE e.event_type = 'message_click') AS message_clicks,
    count(*) FILTER (WHERE e.event_type = 'message_click'
                     AND date_diff('day', CAST(e.occurred_at AS DATE), a.as_of) < 90)
         AS message_clicks_90d,
    count(*) FILTER (WHERE e.event_type = 'group_buy_join') AS group_buy_joins,
    count(*) FILTER (WHERE e.event_type = 'group_buy_lead') AS group_buy_leads
  FROM events e, a WHERE e.customer_id IS NOT NULL GROUP BY e.customer_id
),
rv AS (
  SELECT r.customer_id, count(*) AS reviews_total,
    avg(CAST(r.rating AS DOUBLE)) AS avg_rating,
    count(*) FILTER (WHERE r.rating >= 4) AS positive_reviews,
    count(*) FILTER (WHERE r.rating <= 2) AS negative_reviews,
    count(*) FILTER (WHERE r.text IS NOT NULL AND length(r.text) > 0) AS text_reviews,
    min(date_diff('day', CAST(r.created_at AS DATE), a.as_of)) AS review_recency_days
  FROM reviews r, a WHERE r.customer_id IS NOT NULL GROUP BY r.customer_id
)
SELECT c.customer_id, a.as_of,
  coalesce(co.orders_total, 0) AS orders_total,
  coalesce(co.orders_30d, 0) AS orders_30d,
  coalesce(co.orders_90d, 0) AS orders_90d,
  coalesce(co.orders_180d, 0) AS orders_180d,
  coalesce(co.orders_365d, 0) AS orders_365d,
  coalesce(co.orders_prev_365d, 0) AS orders_prev_365d,
  coalesce(co.sales_total, 0) AS sales_total,
  coalesce(co.sales_30d, 0) AS sales_30d,
  coalesce(co.sales_90d, 0) AS sales_90d,
  coalesce(co.sales_365d, 0) AS sales_365d,
  coalesce(co.sales_prev_365d, 0) AS sales_prev_365d,
  co.max_order_amount, coalesce(co.gross_total, 0) AS gross_total,
  coalesce(co.discount_total, 0) AS discount_total,
  coalesce(co.units_total, 0) AS units_total, coalesce(co.lines_total, 0) AS lines_total,
  coalesce(co.coupon_orders, 0) AS coupon_orders,
  coalesce(co.online_orders, 0) AS online_orders,
  coalesce(co.offline_orders, 0) AS offline_orders,
  coalesce(co.delivery_orders, 0) AS delivery_orders,
  coalesce(co.weekend_orders, 0) AS weekend_orders,
  co.first_order_day, co.last_order_day,
  date_diff('day', co.last_order_day, a.as_of) AS recency_days,
  date_diff('day', co.first_order_day, a.as_of) AS first_order_days_ago,
  coalesce(co.purchase_days, 0) AS purchase_days,
  coalesce(co.active_months_12m, 0) AS active_months_12m,
  coalesce(co.channel_count, 0) AS channel_count,
  coalesce(co.store_count, 0) AS store_count,
  coalesce(co.returned_orders, 0) AS returned_orders,
  coalesce(co.cancelled_orders, 0) AS cancelled_orders,
  coalesce(co.returns_total, 0) AS returns_total,
  coalesce(co.sales_total, 0) - coalesce(co.returns_total, 0) AS net_sales_total,
  co.preferred_daypart, co.preferred_weekday, co.preferred_payment, co.preferred_fulfillment,
  co.top_order_channel,
  coalesce(chan_active.top_key, co.top_order_channel) AS most_active_channel,
  coalesce(co.store_preference, c.home_store_code) AS preferred_store,
  coalesce(co.distinct_skus, 0) AS distinct_skus,
  coalesce(co.category_count, 0) AS category_count,
  coalesce(co.brand_count, 0) AS brand_count,
  coalesce(co.flavor_count, 0) AS flavor_count,
  coalesce(co.new_product_units, 0) AS new_product_units,
  coalesce(co.sku_units, 0) AS sku_units,
  co.price_index_units, co.replenish_days,
  co.top_category, co.top_category_units, co.second_category,
  co.top_parent_category, co.top_brand, co.top_flavor, co.favorite_sku,
  coalesce(ev.events_total, 0) AS events_total, ev.event_recency_days, ev.visit_recency_days,
  coalesce(ev.store_visits, 0) AS store_visits,
  coalesce(ev.store_visits_90d, 0) AS store_visits_90d,
  coalesce(ev.page_views, 0) AS page_views,
  coalesce(ev.product_views, 0) AS product_views,
  coalesce(ev.product_views_90d, 0) AS product_views_90d,
  coalesce(ev.add_to_carts, 0) AS add_to_carts,
  coalesce(ev.shares, 0) AS shares, coalesce(ev.shares_90d, 0) AS shares_90d,
  coalesce(ev.referrals, 0) AS referrals,
  coalesce(ev.coupon_claims, 0) AS coupon_claims,
  coalesce(ev.coupon_claims_90d, 0) AS coupon_claims_90d,
  coalesce(ev.message_clicks, 0) AS message_clicks,
  coalesce(ev.message_clicks_90d, 0) AS message_clicks_90d,
  coalesce(ev.group_buy_joins, 0) AS group_buy_joins,
  coalesce(ev.group_buy_leads, 0) AS group_buy_leads,
  coalesce(rv.reviews_total, 0) AS reviews_total, rv.avg_rating,
  coalesce(rv.positive_reviews, 0) AS positive_reviews,
  coalesce(rv.negative_reviews, 0) AS negative_reviews,
  coalesce(rv.text_reviews, 0) AS text_reviews, rv.review_recency_days
FROM customers c CROSS JOIN a
LEFT JOIN ins_customer_orders co ON co.customer_id = c.customer_id
LEFT JOIN chan_active ON chan_active.customer_id = c.customer_id AND chan_active.rn = 1
LEFT JOIN ev ON ev.customer_id = c.customer_id
LEFT JOIN rv ON rv.customer_id = c.customer_id
"""


def _date(value: object) -> str:
    return f"DATE '{value}'"


def _dirty_customers_sql(old_as_of: object) -> str:
    """Customers whose order aggregates may differ from the last run: new orders, or an order
    crossing a window boundary because the reference day moved from ``old_as_of``."""
    old = _date(old_as_of)
    crossed = " OR ".join(
        f"(date_diff('day', o.order_day, {old}) < {w} "
        f"AND date_diff('day', o.order_day, a.as_of) >= {w})"
        for w in ORDER_WINDOWS
    )
    return f"""
SELECT o.customer_id FROM orders o
JOIN ins_new_orders n ON n.source = o.source AND n.order_id = o.order_id
WHERE o.customer_id IS NOT NULL
UNION
SELECT o.customer_id FROM ins_order_facts o, ins_as_of a
WHERE o.customer_id IS NOT NULL AND ({crossed})
"""


_IN_NEW_ORDERS = (
    "AND EXISTS (SELECT 1 FROM ins_new_orders n "
    "WHERE n.source = o.source AND n.order_id = o.order_id)"
)


def _carry_over(table: str, fresh_sql: str, dirty: str) -> str:
    """Rows of ``table`` for customers not in ``dirty``, plus ``fresh_sql`` (the dirty ones)."""
    return (
        f"SELECT * FROM {table} k WHERE NOT EXISTS "
        f"(SELECT 1 FROM {dirty} d WHERE d.customer_id = k.customer_id) "
        f"UNION ALL SELECT * FROM ({fresh_sql}) r"
    )


def build_features(engine: AnalyticsEngine, *, full: bool) -> dict[str, int | str]:
    """Refresh the order facts and the per-customer order aggregates (incrementally unless
    ``full``), then rebuild customer_features from them and the events/reviews.

    Incremental: orders later than the latest one already in ``ins_order_facts`` are appended
    with their lines; only customers with new orders, or with an order crossing a window
    boundary because the reference day moved, get their aggregates recomputed; the others are
    carried over, and their date-relative values (recency, tenure) are derived from the first
    and last order days at the final join."""
    state = (
        "ins_as_of",
        "ins_order_facts",
        "ins_customer_sku_day",
        "ins_customer_sku",
        "ins_customer_category_day",
        "ins_customer_orders",
    )
    incremental = not full and all(engine.table_exists(t) for t in state)
    old_as_of = engine.scalar("SELECT as_of FROM ins_as_of") if incremental else None
    engine.materialize("ins_as_of", AS_OF_SQL)
    new_as_of = engine.scalar("SELECT as_of FROM ins_as_of")
    if incremental and (old_as_of is None or new_as_of < old_as_of):
        incremental = False  # the reference day went back (data removed): start over
    new_orders = 0
    recomputed: int | None = None
    if incremental:
        engine.materialize(
            "ins_new_orders",
            "SELECT o.source, o.order_id FROM orders o WHERE CAST(o.ordered_at AS TIMESTAMP) > "
            "(SELECT max(ordered_at) FROM ins_order_facts)",
        )
        new_orders = int(engine.scalar("SELECT count(*) FROM ins_new_orders") or 0)
        if new_orders:
            engine.materialize(
                "ins_order_facts",
                "SELECT * FROM ins_order_facts UNION ALL "
                f"SELECT * FROM ({order_facts_sql(_IN_NEW_ORDERS)}) n",
            )
            engine.materialize("ins_new_sku_day", customer_sku_day_sql(_IN_NEW_ORDERS))
            engine.materialize(
                "ins_customer_sku_day",
                "SELECT * FROM ins_customer_sku_day UNION ALL SELECT * FROM ins_new_sku_day",
            )
            engine.materialize("ins_new_buyers", "SELECT DISTINCT customer_id FROM ins_new_sku_day")
            scope = "AND o.customer_id IN (SELECT customer_id FROM ins_new_buyers)"
            engine.materialize(
                "ins_customer_sku",
                _carry_over("ins_customer_sku", customer_sku_sql(scope), "ins_new_buyers"),
            )
            engine.materialize(
                "ins_customer_category_day",
                "SELECT * FROM ins_customer_category_day UNION ALL SELECT * FROM ("
                f"{customer_category_day_sql('ins_new_sku_day')}) n WHERE NOT EXISTS ("
                "SELECT 1 FROM ins_customer_category_day k WHERE k.category_code = "
                "n.category_code AND k.order_day = n.order_day AND k.customer_id = n.customer_id)",
            )
        engine.materialize("ins_dirty_customers", _dirty_customers_sql(old_as_of))
        recomputed = int(engine.scalar("SELECT count(*) FROM ins_dirty_customers") or 0)
        scope = "AND o.customer_id IN (SELECT customer_id FROM ins_dirty_customers)"
        engine.materialize(
            "ins_customer_orders",
            _carry_over("ins_customer_orders", customer_orders_sql(scope), "ins_dirty_customers"),
        )
    else:
        engine.materialize("ins_order_facts", order_facts_sql())
        engine.materialize("ins_customer_sku_day", customer_sku_day_sql())
        engine.materialize("ins_customer_sku", CUSTOMER_SKU_SQL)
        engine.materialize("ins_customer_category_day", customer_category_day_sql())
        engine.materialize("ins_customer_orders", customer_orders_sql())
    engine.materialize("customer_features", CUSTOMER_FEATURES_SQL)
    out: dict[str, int | str] = {
        "mode": "incremental" if incremental else "full",
        "new_orders": new_orders,
        "customers": int(engine.scalar("SELECT count(*) FROM customer_features") or 0),
    }
    if recomputed is not None:
        out["recomputed_customers"] = recomputed
    return out
