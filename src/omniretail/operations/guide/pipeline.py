"""Pipeline step ``operations.guide`` (order 450): orders credited to the clerk bound at order
time (see :mod:`omniretail.operations.guide.attribution`). It reads the relationship periods
from the operational store (read only) after the unified orders exist (300) and the tags (440),
and before the segments and KPIs (500+); then the customers' cards the clerk workbench shows
(tags and last purchases, one indexed row per customer: :func:`report.build_cards`)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.exc import OperationalError, ProgrammingError

from omniretail.operations.guide import attribution, report, service
from omniretail.platform.db import session_scope
from omniretail.platform.pipeline import PipelineContext, step


@step("operations.guide", order=450)
def guide_attribution(ctx: PipelineContext) -> dict[str, Any]:
    """Credit every order to the shopping guide the customer was bound to at order time."""
    if not ctx.engine.table_exists("orders"):
        return {"skipped": "no unified orders"}
    try:
        with session_scope() as session:
            n = attribution.load_bindings(ctx.engine, service.binding_periods(session))
    except (OperationalError, ProgrammingError) as exc:  # store not initialised
        return {"skipped": f"operational store not ready ({type(exc).__name__}); run init"}
    return {
        "bindings": n,
        **attribution.attribute(ctx.engine),
        "customer_cards": report.build_cards(ctx.engine),
    }
