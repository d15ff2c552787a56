"""Pipeline steps of the member portrait: features (410), RFM (420), lifecycle (430), tags (440).

Each step is engine-neutral: canonical SQL through the ``AnalyticsEngine`` methods.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from omniretail.insight.tag import catalogue, features, inputs
from omniretail.insight.tag.config import load_config
from omniretail.insight.tag.lifecycle import lifecycle_sql
from omniretail.insight.tag.rfm import rfm_sql
from omniretail.platform.pipeline import PipelineContext, step


def _skip(ctx: PipelineContext) -> dict[str, Any] | None:
    missing = inputs.missing_required(ctx.engine)
    if missing:
        return {"skipped": f"missing input table(s): {', '.join(missing)}"}
    return None


@step("insight.features", order=410)
def build_features(ctx: PipelineContext) -> dict[str, Any]:
    """Per-customer features (incremental order facts, then one row per customer)."""
    skipped = _skip(ctx)
    if skipped:
        return skipped
    created = inputs.ensure_optional(ctx.engine)
    out: dict[str, Any] = dict(features.build_features(ctx.engine, full=ctx.full_refresh))
    if created:
        out["empty_inputs"] = created
    return out


@step("insight.rfm", order=420)
def build_rfm(ctx: PipelineContext) -> dict[str, Any]:
    """RFM scores and the eight classic groups."""
    if not ctx.engine.table_exists("customer_features"):
        return {"skipped": "no customer_features"}
    cfg = load_config(ctx.settings)
    ctx.engine.materialize("rfm", rfm_sql(cfg.rfm))
    rows = ctx.engine.fetch_rows(
        "SELECT rfm_group, count(*) AS n FROM rfm GROUP BY rfm_group ORDER BY rfm_group"
    )
    return {"binning": cfg.rfm.binning, "groups": {r["rfm_group"]: r["n"] for r in rows}}


@step("insight.lifecycle", order=430)
def build_lifecycle(ctx: PipelineContext) -> dict[str, Any]:
    """Lifecycle stages with category-aware windows."""
    if not ctx.engine.table_exists("customer_features"):
        return {"skipped": "no customer_features"}
    cfg = load_config(ctx.settings)
    ctx.engine.materialize("lifecycle", lifecycle_sql(cfg.lifecycle))
    rows = ctx.engine.fetch_rows(
        "SELECT stage, count(*) AS n FROM lifecycle GROUP BY stage ORDER BY stage"
    )
    return {"stages": {r["stage"]: r["n"] for r in rows}}


@step("insight.tags", order=440)
def build_tags(ctx: PipelineContext) -> dict[str, Any]:
    """The customer_tags wide table and the coverage of every tag."""
    if not ctx.engine.table_exists("lifecycle"):
        return {"skipped": "no lifecycle"}
    ctx.engine.materialize("customer_tags", catalogue.customer_tags_sql())
    row = ctx.engine.fetch_rows(catalogue.coverage_sql())[0]
    n = int(row.pop("customers") or 0)
    ctx.engine.register_arrow(
        "tag_coverage",
        pa.table(
            {
                "tag_id": pa.array(list(row), pa.string()),
                "filled": pa.array([int(v or 0) for v in row.values()], pa.int64()),
                "customers": pa.array([n] * len(row), pa.int64()),
                "coverage": pa.array(
                    [round(int(v or 0) / n, 4) if n else None for v in row.values()],
                    pa.float64(),
                ),
            }
        ),
    )
    return {"customers": n, "tags": len(catalogue.all_tags())}
