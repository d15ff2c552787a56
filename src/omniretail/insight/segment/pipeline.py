"""Pipeline step: scheduled refresh of saved segments (order 520)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.exc import OperationalError, ProgrammingError

from omniretail.insight.segment import service
from omniretail.platform.db import session_scope
from omniretail.platform.pipeline import PipelineContext, step


@step("insight.segments", order=520)
def refresh_saved_segments(ctx: PipelineContext) -> dict[str, Any]:
    """Snapshot the members of every daily saved segment (history kept in segment_members)."""
    if not ctx.engine.table_exists("customer_tags"):
        return {"skipped": "no customer_tags"}
    try:
        with session_scope() as session:
            counts = service.refresh_segments(ctx.engine, session)
    except (OperationalError, ProgrammingError) as exc:  # store not initialised
        return {"skipped": f"operational store not ready ({type(exc).__name__}); run init"}
    return {"segments": counts}
