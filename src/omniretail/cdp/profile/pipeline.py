"""Pipeline steps of the profile domain.

- ``unify`` (order 300): orders, order lines, events and reviews with ``customer_id``; the
  golden record ``customers`` with consent per channel.
- ``publish_customers`` (order 800): golden records and identities to the operational store.
"""

from __future__ import annotations

from typing import Any

from omniretail.cdp.profile import golden, publish, unify
from omniretail.cdp.profile.config import load_profile_config
from omniretail.platform.pipeline import PipelineContext, step


@step("unify", order=300)
def unify_step(ctx: PipelineContext) -> dict[str, Any]:
    """Unify orders/events/reviews by customer and build golden records (survivorship)."""
    if not ctx.engine.table_exists("identity_map"):
        return {"skipped": "no identity_map yet (run the identity step)"}
    cfg = load_profile_config(ctx.settings)
    out: dict[str, Any] = {"customers": golden.build_customers(ctx.engine, cfg)}
    out.update(unify.unify_activity(ctx.engine))
    unify.extend_seen(ctx.engine)
    return out


@step("publish_customers", order=800)
def publish_step(ctx: PipelineContext) -> dict[str, Any]:
    """Upsert golden records and identities into the operational store (bulk, changes only)."""
    from sqlalchemy import inspect

    from omniretail.platform.db import get_engine, session_scope

    if not ctx.engine.table_exists("customers"):
        return {"skipped": "no customers yet (run the unify step)"}
    if not inspect(get_engine()).has_table("customer"):
        return {"skipped": "the operational store is not set up (run `omniretail init`)"}
    with session_scope() as session, publish.bulk_load(session):
        # the identities are selected by the engine while the store takes the golden records
        out = publish.publish_customers(
            ctx.engine,
            ctx.settings,
            session,
            meanwhile=lambda: publish.prepare_identities(ctx.engine),
        )
        out.update(publish.publish_identities(ctx.engine, ctx.settings, session, prepared=True))
    publish.save_snapshots(ctx.engine, ctx.settings)
    publish.cleanup(ctx.engine)
    return out
