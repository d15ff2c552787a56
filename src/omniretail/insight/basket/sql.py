"""Market-basket analysis (购物篮分析): item pairs and bundles with support, confidence, lift.

A transaction is a paid order. For items A and B:
support(A,B) = orders with both / orders; confidence(A→B) = support(A,B) / support(A);
lift(A→B) = confidence(A→B) / support(B). Pairs are computed at category and SKU level,
bundles (three categories) at category level. Pairs below ``min_orders`` co-occurrences are
dropped; only orders with at most ``MAX_ITEMS`` distinct SKUs count.

The counts behind them (``ins_basket_counts``: baskets, items, pairs, triples) add up over
orders, so an incremental run counts only the orders paid since the last run and adds them.
"""

from __future__ import annotations

from omniretail.platform.engine.dialect import r6

MAX_ITEMS = 20  # orders with more distinct SKUs are not baskets (bulk/catering orders)
MIN_ORDERS = {"category": 3, "sku": 5}
MIN_BUNDLE_ORDERS = 3


def tx_sql(where: str = "") -> str:
    """The baskets (scratch ``ins_basket_tx``): paid orders of at most ``MAX_ITEMS`` distinct
    SKUs, each numbered, so that the pair and triple self-joins match one integer instead of
    two strings per line. ``where`` restricts the orders ``o`` (an incremental run: new ones)."""
    return f"""
SELECT o.source, o.order_id, row_number() OVER (ORDER BY o.source, o.order_id) AS tx
FROM ins_order_facts o
WHERE o.status = 'paid' AND o.skus <= {MAX_ITEMS} {where}
"""


ITEMS_SQL = """
SELECT DISTINCT t.tx, l.sku, p.category_code
FROM order_lines l
JOIN ins_basket_tx t ON t.source = l.source AND t.order_id = l.order_id
LEFT JOIN dim_product p ON p.sku = l.sku
WHERE l.sku IS NOT NULL
"""
"""The items of the baskets (scratch ``ins_basket_items``): each distinct SKU of a basket once,
with its category; order lines are read and joined to the baskets once for both levels."""


def counts_sql() -> str:
    """Co-occurrence counts, additive over orders: per level the number of baskets (``kind`` n),
    of baskets with each item (1), each pair (2) and, for categories, each triple (3). Reads
    the scratch tables ``ins_basket_tx`` and ``ins_basket_items`` (the orders counted)."""
    parts = []
    for level, i in (("category", "ci"), ("sku", "si")):
        parts += [
            f"SELECT '{level}' AS level, 'n' AS kind, CAST(NULL AS VARCHAR) AS a, "
            "CAST(NULL AS VARCHAR) AS b, CAST(NULL AS VARCHAR) AS c, "
            f"count(DISTINCT tx) AS orders FROM {i}",
            f"SELECT '{level}', '1', item, NULL, NULL, count(*) FROM {i} GROUP BY item",
            f"SELECT '{level}', '2', x.item, y.item, NULL, count(*) FROM {i} x "
            f"JOIN {i} y ON x.tx = y.tx AND x.item < y.item GROUP BY x.item, y.item",
        ]
    parts.append(
        "SELECT 'category', '3', x.item, y.item, z.item, count(*) FROM ci x "
        "JOIN ci y ON x.tx = y.tx AND x.item < y.item "
        "JOIN ci z ON z.tx = x.tx AND y.item < z.item GROUP BY x.item, y.item, z.item"
    )
    return (
        "WITH ci AS (SELECT DISTINCT tx, category_code AS item FROM ins_basket_items "
        "WHERE category_code IS NOT NULL), si AS (SELECT tx, sku AS item FROM ins_basket_items) "
        + " UNION ALL ".join(parts)
    )


def add_counts_sql(new: str) -> str:
    """``ins_basket_counts`` plus the counts of ``new`` (same columns), summed per key."""
    return (
        "SELECT level, kind, a, b, c, CAST(sum(orders) AS BIGINT) AS orders FROM ("
        f"SELECT * FROM ins_basket_counts UNION ALL SELECT * FROM ({new}) new_counts"
        ") t GROUP BY level, kind, a, b, c"
    )


def pairs_sql(level: str) -> str:
    return f"""
WITH k AS (SELECT * FROM ins_basket_counts WHERE level = '{level}'),
n AS (SELECT orders AS tx_count FROM k WHERE kind = 'n'),
single AS (SELECT a AS item, orders FROM k WHERE kind = '1'),
pair AS (
  SELECT a AS item_a, b AS item_b, orders AS orders_ab FROM k
  WHERE kind = '2' AND orders >= {MIN_ORDERS[level]}
), directed AS (
  SELECT item_a AS antecedent, item_b AS consequent, orders_ab FROM pair
  UNION ALL SELECT item_b, item_a, orders_ab FROM pair
)
SELECT '{level}' AS level, d.antecedent, d.consequent, d.orders_ab,
       sa.orders AS orders_antecedent, sc.orders AS orders_consequent, n.tx_count AS orders,
       {r6("CAST(d.orders_ab AS DOUBLE) / n.tx_count")} AS support,
       {r6("CAST(d.orders_ab AS DOUBLE) / sa.orders")} AS confidence,
       {r6("CAST(d.orders_ab AS DOUBLE) * n.tx_count / (CAST(sa.orders AS DOUBLE) * sc.orders)")}
         AS lift
FROM directed d CROSS JOIN n
JOIN single sa ON sa.item = d.antecedent JOIN single sc ON sc.item = d.consequent
"""


def bundles_sql() -> str:
    """Three-category bundles: antecedent pair (A, B) → consequent C."""
    return f"""
WITH k AS (SELECT * FROM ins_basket_counts WHERE level = 'category'),
n AS (SELECT orders AS tx_count FROM k WHERE kind = 'n'),
single AS (SELECT a AS item, orders FROM k WHERE kind = '1'),
pair AS (SELECT a AS item_a, b AS item_b, orders AS orders_ab FROM k WHERE kind = '2'),
triple AS (
  SELECT a AS item_a, b AS item_b, c AS item_c, orders AS orders_abc FROM k
  WHERE kind = '3' AND orders >= {MIN_BUNDLE_ORDERS}
), rules AS (
  SELECT item_a AS a, item_b AS b, item_c AS c, orders_abc FROM triple
  UNION ALL SELECT item_a, item_c, item_b, orders_abc FROM triple
  UNION ALL SELECT item_b, item_c, item_a, orders_abc FROM triple
)
SELECT r.a || '+' || r.b AS antecedent, r.c AS consequent, r.orders_abc,
       {r6("CAST(r.orders_abc AS DOUBLE) / n.tx_count")} AS support,
       {r6("CAST(r.orders_abc AS DOUBLE) / p.orders_ab")} AS confidence,
       {r6("CAST(r.orders_abc AS DOUBLE) * n.tx_count / (CAST(p.orders_ab AS DOUBLE) * s.orders)")}
         AS lift
FROM rules r CROSS JOIN n
JOIN pair p ON p.item_a = r.a AND p.item_b = r.b
JOIN single s ON s.item = r.c
"""
