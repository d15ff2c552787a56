"""Pipeline step ``standardize`` (order 100): landing → std_ tables, quarantine, quality stats."""

from __future__ import annotations

from typing import Any

from omniretail.cdp.ingest import service as ingest_service
from omniretail.cdp.quality import finalize, service
from omniretail.cdp.quality.counters import CounterStandardizer, fast_path_applies
from omniretail.cdp.quality.junk import load_junk
from omniretail.cdp.quality.standardize import SourceResult, SourceStandardizer
from omniretail.platform.db import session_scope
from omniretail.platform.pipeline import PipelineContext, step


def standardize_all(ctx: PipelineContext, *, sources: list[str] | None = None) -> dict[str, Any]:
    settings = ctx.settings
    with session_scope() as s:
        groups = [
            (
                src,
                ingest_service.latest_mapping(bl),
                [str(settings.landing_dir / b.path) for b in bl],
            )
            for src, _text, bl in ingest_service.batch_groups(s)
        ]
        fixed = service.overrides(s)
    junk = load_junk(settings)
    finalize.drop_work_tables(ctx.engine)  # leftovers of an interrupted run
    results: list[SourceResult] = []
    for part, (src, mapping, paths) in enumerate(groups):
        ctx.log(f"standardize {src}")
        ovr = fixed.get(src, [])
        kind = CounterStandardizer if fast_path_applies(mapping, ovr) else SourceStandardizer
        results.append(
            kind(
                ctx.engine,
                source=src,
                mapping=mapping,
                paths=paths,
                overrides=ovr,
                junk=junk,
                part=part,
            ).run()
        )
    counts = finalize.build_tables(ctx.engine, results)
    extra = finalize.apply_global_rules(ctx.engine, junk)
    finalize.drop_work_tables(ctx.engine)
    sync: dict[str, dict[str, int]] = {}
    with session_scope() as s:
        for r in results:
            got = service.sync_quarantine(s, r)
            prev = sync.setdefault(r.source, {})
            for k, v in got.items():
                prev[k] = prev.get(k, 0) + v
        for r in results:
            service.save_batch_stats(s, r.by_batch)
        for merged in service.merge_results(results):
            service.save_stats(s, merged, extra.get(merged.source, {}))
    return {
        "sources": len(results),
        "tables": counts,
        "quarantine": sync,
        "rows_read": sum(r.stats["rows_read"] for r in results),
        "quarantined": sum(r.stats["quarantined"] for r in results),
    }


@step("standardize", order=100)
def standardize(ctx: PipelineContext) -> dict[str, Any]:
    """Clean and standardize every landed source into the std_ tables (seed 001 §3.2)."""
    return standardize_all(ctx)
