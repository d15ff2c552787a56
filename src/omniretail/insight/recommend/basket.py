"""Frequently bought together (经常一起购买): co-occurrence lift within orders, as SQL.

For products a and b over N paid orders, with n_a orders containing a and n_ab containing both:
``confidence(a→b) = n_ab / n_a`` and ``lift(a, b) = n_ab · N / (n_a · n_b)`` (Agrawal et al.
1993; Brin et al. 1997). Pairs seen in fewer than ``min_orders`` orders are dropped; each
product keeps its ``top`` partners by lift. The SQL is canonical (DuckDB dialect) so it runs
on every analytics engine.
"""

from __future__ import annotations


def bought_together_sql(baskets: str, *, min_orders: int = 3, top: int = 20) -> str:
    """``baskets``: a query or table with columns ``basket_id, sku`` (one row per line)."""
    return f"""
WITH b AS (SELECT DISTINCT CAST(basket_id AS VARCHAR) AS basket_id, CAST(sku AS VARCHAR) AS sku
           FROM ({baskets}) src WHERE sku IS NOT NULL),
total AS (SELECT count(DISTINCT basket_id) AS n FROM b),
item AS (SELECT sku, count(*) AS orders FROM b GROUP BY sku),
pair AS (
  SELECT x.sku AS sku, y.sku AS other_sku, count(*) AS together
  FROM b x JOIN b y ON x.basket_id = y.basket_id AND x.sku <> y.sku
  GROUP BY x.sku, y.sku
  HAVING count(*) >= {int(min_orders)}
),
scored AS (
  SELECT p.sku, p.other_sku, p.together,
         CAST(p.together AS DOUBLE) / ia.orders AS confidence,
         CAST(p.together AS DOUBLE) * t.n / (CAST(ia.orders AS DOUBLE) * ib.orders) AS lift
  FROM pair p
  JOIN item ia ON ia.sku = p.sku
  JOIN item ib ON ib.sku = p.other_sku
  CROSS JOIN total t
)
SELECT sku, other_sku, together, confidence, lift, rank FROM (
  SELECT *, row_number() OVER (PARTITION BY sku ORDER BY lift DESC, together DESC, other_sku)
         AS rank
  FROM scored
) r WHERE rank <= {int(top)}
ORDER BY sku, rank
"""
