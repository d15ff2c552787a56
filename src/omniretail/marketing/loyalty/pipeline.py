"""Pipeline step ``loyalty.opening_balances`` (order 810, after the customers are published):
the member cards' points and tiers of the source systems (``std_loyalty_balances``) into the
points ledger, once per card (``marketing.loyalty.opening``)."""

from __future__ import annotations

from typing import Any

from omniretail.marketing.loyalty.opening import OpeningBalance, import_opening_balances
from omniretail.platform.db import session_scope
from omniretail.platform.pipeline import PipelineContext, step


@step("loyalty.opening_balances", order=810)
def opening_balances(ctx: PipelineContext) -> dict[str, Any]:
    """Opening points balances and tiers of the source systems' member cards (期初积分与等级)."""
    engine = ctx.engine
    if not (engine.table_exists("std_loyalty_balances") and engine.table_exists("identity_map")):
        return {"cards": 0}
    rows = engine.fetch_rows(
        "SELECT m.customer_id, b.record_key, b.source, b.points, b.tier_name "
        "FROM std_loyalty_balances b JOIN identity_map m ON m.record_key = b.record_key "
        "WHERE coalesce(b.points, 0) > 0 OR b.tier_name IS NOT NULL ORDER BY b.record_key"
    )
    balances = [
        OpeningBalance(
            customer_id=str(r["customer_id"]),
            record_key=str(r["record_key"]),
            source=str(r["source"]),
            points=int(r["points"] or 0),
            tier_name=r["tier_name"],
        )
        for r in rows
    ]
    with session_scope() as session:
        out = import_opening_balances(session, balances)
    ctx.log(f"opening balances: {out}")
    return out
