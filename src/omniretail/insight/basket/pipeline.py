"""Pipeline step: market-basket pairs and bundles (order 530)."""

from __future__ import annotations

from typing import Any

from omniretail.insight.basket.sql import (
    ITEMS_SQL,
    add_counts_sql,
    bundles_sql,
    counts_sql,
    pairs_sql,
    tx_sql,
)
from omniretail.platform.pipeline import PipelineContext, step

_STATE = "ins_basket_state"


@step("insight.basket", order=530)
def build_basket(ctx: PipelineContext) -> dict[str, Any]:
    """Category and SKU pairs (support, confidence, lift) and category bundles.

    Incremental unless a full refresh: the co-occurrence counts of orders later than the last
    order counted are added to ``ins_basket_counts`` (a status change of an old order needs
    ``--full``, as for the features)."""
    e = ctx.engine
    if not e.table_exists("ins_order_facts"):
        return {"skipped": "no ins_order_facts"}
    incremental = (
        not ctx.full_refresh and e.table_exists("ins_basket_counts") and e.table_exists(_STATE)
    )
    since = "AND o.ordered_at > (SELECT counted_until FROM ins_basket_state)"
    e.materialize("ins_basket_tx", tx_sql(since if incremental else ""), scratch=True)
    e.materialize("ins_basket_items", ITEMS_SQL, scratch=True)
    if incremental:
        e.materialize("ins_basket_counts", add_counts_sql(counts_sql()))
    else:
        e.materialize("ins_basket_counts", counts_sql())
    for name in ("ins_basket_items", "ins_basket_tx"):
        e.drop(name)
    e.materialize(
        _STATE,
        "SELECT coalesce(max(ordered_at), TIMESTAMP '1900-01-01') AS counted_until "
        "FROM ins_order_facts",
    )
    e.materialize(
        "basket_pairs",
        f"SELECT * FROM ({pairs_sql('category')}) c UNION ALL SELECT * FROM ({pairs_sql('sku')}) s",
    )
    e.materialize("basket_bundles", bundles_sql())
    return {
        "mode": "incremental" if incremental else "full",
        "pairs": int(e.scalar("SELECT count(*) FROM basket_pairs") or 0),
        "bundles": int(e.scalar("SELECT count(*) FROM basket_bundles") or 0),
    }
