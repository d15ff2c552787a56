"""Pipeline step ``omnichannel.master`` (order 150): the standardized master data (stores,
channels, products, categories, staff) to the operational store, upserted by code."""

from __future__ import annotations

from typing import Any

from omniretail.omnichannel.master import publish_master
from omniretail.platform.db import session_scope
from omniretail.platform.pipeline import PipelineContext, step


@step("omnichannel.master", order=150)
def master(ctx: PipelineContext) -> dict[str, Any]:
    """Publish stores, channels, products and staff to the operational store (主数据发布)."""
    with session_scope() as session:
        return publish_master(ctx.engine, session)
