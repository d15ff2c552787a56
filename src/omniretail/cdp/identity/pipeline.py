"""Pipeline step ``identity`` (order 200): resolve source records into customers."""

from __future__ import annotations

from typing import Any

from omniretail.cdp.identity.config import load_config
from omniretail.cdp.identity.constraints import active_constraints
from omniretail.cdp.identity.resolve import resolve
from omniretail.platform.pipeline import PipelineContext, step


@step("identity", order=200)
def identity(ctx: PipelineContext) -> dict[str, Any]:
    """Resolve identities: strong-identifier graph with guard-rails, Splink on weak evidence,
    conflict splitting, manual constraints, stable customer ids."""
    if not ctx.engine.table_exists("std_identity_records"):
        return {"skipped": "no std_identity_records yet (run the ingest and clean steps)"}
    cfg = load_config(ctx.settings)
    return resolve(ctx.engine, ctx.settings, cfg=cfg, constraints=active_constraints(), log=ctx.log)
