"""Market-basket analysis (购物篮分析): item pairs and bundles with support, confidence, lift.

A transaction is a paid order. For items A and B:
support(A,B) = orders with both / orders; confidence(A→B) = support(A,B) / support(A);
lift(A→B) = confidence(A→B) / support(B). Pairs are computed at category and SKU level,
bundles (three categories) at category level. Pairs below ``min_orders`` co-occurrences are
dropped; SKU pairs only consider orders with at most ``max_items`` distinct SKUs.
"""

from __future__ import annotations

from omniretail.insight.kpi.sql import r6


def _items(level: str, max_items: int) -> str:
    item = "p.category_code" if level == "category" else "l.sku"
    return f"""
SELECT DISTINCT l.source || ':' || l.order_id AS tx, {item} AS item
FROM order_lines l
JOIN ins_order_facts o ON o.source = l.source AND o.order_id = l.order_id
LEFT JOIN dim_product p ON p.sku = l.sku
WHERE o.status = 'paid' AND {item} IS NOT NULL
  AND o.skus <= {max_items}
"""


def pairs_sql(level: str, *, min_orders: int = 3, max_items: int = 20) -> str:
    return f"""
WITH items AS ({_items(level, max_items)}),
n AS (SELECT count(DISTINCT tx) AS tx_count FROM items),
single AS (SELECT item, count(*) AS orders FROM items GROUP BY item),
pair AS (
  SELECT a.item AS item_a, b.item AS item_b, count(*) AS orders_ab
  FROM items a JOIN items b ON a.tx = b.tx AND a.item < b.item
  GROUP BY a.item, b.item HAVING count(*) >= {min_orders}
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


def bundles_sql(*, min_orders: int = 3, max_items: int = 20) -> str:
    """Three-category bundles: antecedent pair (A, B) → consequent C."""
    return f"""
WITH items AS ({_items("category", max_items)}),
n AS (SELECT count(DISTINCT tx) AS tx_count FROM items),
single AS (SELECT item, count(*) AS orders FROM items GROUP BY item),
pair AS (
  SELECT a.item AS item_a, b.item AS item_b, count(*) AS orders_ab
  FROM items a JOIN items b ON a.tx = b.tx AND a.item < b.item GROUP BY a.item, b.item
),
triple AS (
  SELECT a.item AS item_a, b.item AS item_b, c.item AS item_c, count(*) AS orders_abc
  FROM items a JOIN items b ON a.tx = b.tx AND a.item < b.item
  JOIN items c ON c.tx = a.tx AND b.item < c.item
  GROUP BY a.item, b.item, c.item HAVING count(*) >= {min_orders}
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
