"""Pipeline step ``recommendations`` (order 600): precompute recommendations for serving.

Reads ``orders`` + ``order_lines`` (paid lines of identified customers), ``dim_product``,
``customers.home_store_code`` and, when present, ``store_assortment (store_code, sku)``;
writes to the snapshot:

- ``customer_recommendations`` (customer_id, rank, sku, score, algorithm), sorted by customer;
- ``product_likely_customers`` (sku, rank, customer_id, score) — new SKUs included;
- ``product_bought_together`` (sku, other_sku, together, confidence, lift, rank);
- ``recommendation_model_metrics`` (algorithm, metric, value) from a time-split evaluation;

and saves the fitted model under ``$OMNIRETAIL_HOME/models`` for scoring new products, beside
the last evaluation (``recommendations-evaluation.json``: reused while its inputs are unchanged).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pandas as pd
import pyarrow as pa

from omniretail.insight.recommend import model_store
from omniretail.insight.recommend.basket import bought_together_sql
from omniretail.insight.recommend.training import RecsConfig, build_outputs
from omniretail.platform.pipeline import PipelineContext, step

EVALUATION_FILE = "recommendations-evaluation.json"

PURCHASES_SQL = """
SELECT CAST(o.customer_id AS VARCHAR) AS customer_id, CAST(l.sku AS VARCHAR) AS sku,
       CAST(o.ordered_at AS TIMESTAMP) AS ordered_at
FROM orders o
JOIN order_lines l ON l.source = o.source AND l.order_id = o.order_id
WHERE o.customer_id IS NOT NULL AND l.sku IS NOT NULL AND o.ordered_at IS NOT NULL
  AND coalesce(o.status, 'paid') = 'paid'
"""

BASKETS_SQL = """
SELECT o.source || ':' || o.order_id AS basket_id, l.sku
FROM orders o JOIN order_lines l ON l.source = o.source AND l.order_id = o.order_id
WHERE coalesce(o.status, 'paid') = 'paid'
"""


def _frame(ctx: PipelineContext, sql: str) -> pd.DataFrame:
    frame: pd.DataFrame = ctx.engine.fetch_arrow(sql).to_pandas()
    return frame


def _columns(ctx: PipelineContext, table: str) -> set[str]:
    return set(ctx.engine.fetch_arrow(f"SELECT * FROM {table} LIMIT 0").column_names)


@step("recommendations", order=600)
def recommendations(ctx: PipelineContext) -> dict[str, Any]:
    """Recommendations: top-N per customer, likely customers per product, bought together."""
    eng = ctx.engine
    if not (eng.table_exists("orders") and eng.table_exists("order_lines")):
        return {"skipped": "no orders/order_lines tables yet"}
    purchases = _frame(ctx, PURCHASES_SQL)
    if purchases.empty:
        return {"skipped": "no paid purchases of identified customers"}
    products = _frame(ctx, "SELECT * FROM dim_product") if eng.table_exists("dim_product") else None
    preferred: dict[str, str] = {}
    if eng.table_exists("customers") and "home_store_code" in _columns(ctx, "customers"):
        homes = _frame(
            ctx,
            "SELECT customer_id, home_store_code FROM customers WHERE home_store_code IS NOT NULL",
        )
        preferred = dict(zip(homes["customer_id"], homes["home_store_code"], strict=True))
    assortment = (
        _frame(ctx, "SELECT store_code, sku FROM store_assortment")
        if eng.table_exists("store_assortment")
        else None
    )
    # the bought-together table is the engine's work alone (its own threads, the GIL released):
    # it is built in the background while this thread fits and scores, and the engine is used
    # again only once it is done
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="bought-together") as pool:
        together = pool.submit(
            eng.materialize, "product_bought_together", bought_together_sql(BASKETS_SQL)
        )
        out = build_outputs(
            purchases,
            products=products,
            preferred_store=preferred,
            assortment=assortment,
            config=RecsConfig(),
            progress=ctx.log,
            evaluation_cache=ctx.settings.models_dir / EVALUATION_FILE,
        )
        together.result()
    eng.register_arrow(
        "customer_recommendations",
        pa.Table.from_pandas(out.customer_recommendations, preserve_index=False),
    )
    eng.register_arrow(
        "product_likely_customers",
        pa.Table.from_pandas(out.likely_customers, preserve_index=False),
    )
    metrics = out.metrics.astype({"algorithm": str, "metric": str, "value": float})
    eng.register_arrow(
        "recommendation_model_metrics", pa.Table.from_pandas(metrics, preserve_index=False)
    )
    model_store.save(out.model, ctx.settings)
    return {
        "customers": int(out.customer_recommendations["customer_id"].nunique()),
        "recommendations": len(out.customer_recommendations),
        "products_with_likely_customers": int(out.likely_customers["sku"].nunique()),
        "algorithm": out.model.name,
        "selection": out.selection,
    }
