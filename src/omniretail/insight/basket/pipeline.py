"""Pipeline step: market-basket pairs and bundles (order 530)."""

from __future__ import annotations

from typing import Any

from omniretail.insight.basket.sql import bundles_sql, pairs_sql
from omniretail.platform.pipeline import PipelineContext, step


@step("insight.basket", order=530)
def build_basket(ctx: PipelineContext) -> dict[str, Any]:
    """Category and SKU pairs (support, confidence, lift) and category bundles."""
    if not ctx.engine.table_exists("ins_order_facts"):
        return {"skipped": "no ins_order_facts"}
    ctx.engine.materialize(
        "basket_pairs",
        f"SELECT * FROM ({pairs_sql('category')}) c "
        f"UNION ALL SELECT * FROM ({pairs_sql('sku', min_orders=5)}) s",
    )
    ctx.engine.materialize("basket_bundles", bundles_sql())
    return {
        "pairs": int(ctx.engine.scalar("SELECT count(*) FROM basket_pairs") or 0),
        "bundles": int(ctx.engine.scalar("SELECT count(*) FROM basket_bundles") or 0),
    }
