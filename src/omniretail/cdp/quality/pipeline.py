"""Pipeline step ``standardize`` (order 100): landing → std_ tables, quarantine, quality stats."""

from __future__ import annotations

from typing import Any

from omniretail.cdp.ingest import service as ingest_service
from omniretail.cdp.ingest.mapping import Mapping
from omniretail.cdp.quality import counters_incremental as incremental
from omniretail.cdp.quality import finalize, service
from omniretail.cdp.quality.counters import CounterStandardizer, fast_path_applies, stats_of
from omniretail.cdp.quality.junk import load_junk
from omniretail.cdp.quality.standardize import Override, SourceResult, SourceStandardizer
from omniretail.platform.db import session_scope
from omniretail.platform.pipeline import PipelineContext, step


def standardize_all(ctx: PipelineContext, *, sources: list[str] | None = None) -> dict[str, Any]:
    settings = ctx.settings
    with session_scope() as s:
        groups = [
            (
                src,
                ingest_service.latest_mapping(bl),
                [(b.batch_id, str(settings.landing_dir / b.path)) for b in bl],
                text,
            )
            for src, text, bl in ingest_service.batch_groups(s)
        ]
        fixed = service.overrides(s)
    junk = load_junk(settings)
    finalize.drop_work_tables(ctx.engine)  # leftovers of an interrupted run
    counters = _counter_plan(ctx, groups, fixed)
    results: list[SourceResult] = []
    done: list[tuple[str | None, incremental.Part]] = []  # (work table prefix, part)
    for part, (src, mapping, batches, _text) in enumerate(groups):
        ctx.log(f"standardize {src}")
        ovr = fixed.get(src, [])
        args: dict[str, Any] = {
            "source": src, "mapping": mapping, "paths": [p for _b, p in batches],
            "overrides": ovr, "junk": junk, "part": part,
        }  # fmt: skip
        plan = counters.get(part)
        if plan is not None and not plan.why_full:
            args["paths"] = [p for _b, p in plan.new]
            if not plan.new:  # nothing new: the state stays as it is
                results.append(_unchanged(ctx, plan))
                done.append((None, plan))
                continue
            st: CounterStandardizer = incremental.IncrementalCounters(ctx.engine, plan=plan, **args)
        elif plan is not None:
            st = CounterStandardizer(ctx.engine, **args)
        else:
            results.append(SourceStandardizer(ctx.engine, **args).run())
            continue
        results.append(st.run())
        incremental.state_rows(st, plan)
        done.append((st.p, plan))
    appending = bool(counters) and not any(p.why_full for p in counters.values())
    counts = finalize.build_tables(
        ctx.engine, results, append_kinds={"traffic_count"} if appending else set()
    )
    incremental.save_state(ctx.engine, done)
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
    modes = {
        p.source: p.why_full or f"incremental:{len(p.new)}_new_batches" for p in counters.values()
    }
    return {
        **({"counters": modes} if modes else {}),
        "sources": len(results),
        "tables": counts,
        "quarantine": sync,
        "rows_read": sum(r.stats["rows_read"] for r in results),
        "quarantined": sum(r.stats["quarantined"] for r in results),
    }


def _counter_plan(
    ctx: PipelineContext,
    groups: list[tuple[str, Mapping, list[tuple[str, str]], str]],
    fixed: dict[str, list[Override]],
) -> dict[int, incremental.Part]:
    """The counter parts (by position) with their plan: incremental only when every part that
    yields traffic counts is a counter part that can be (counters_incremental.py)."""
    parts: dict[int, incremental.Part] = {}
    others = False
    for i, (src, mapping, batches, text) in enumerate(groups):
        if fast_path_applies(mapping, fixed.get(src, [])):
            part = incremental.Part(src, incremental.fingerprint(src, text), batches)
            parts[i] = incremental.plan(ctx.engine, part, full_refresh=ctx.full_refresh)
        elif incremental.applies_to(mapping):
            others = True
    for name in ctx.engine.list_tables("__q_cinc_"):
        ctx.engine.drop(name)
    why = None
    if others:
        why = "other_traffic_sources"
    elif any(p.why_full for p in parts.values()):
        why = next(p.why_full for p in parts.values() if p.why_full)
    elif parts and not incremental.check_table(ctx.engine, list(parts.values())):
        why = "table_differs"
    if why is not None:
        for p in parts.values():
            p.why_full = p.why_full or why
            p.new = [] if p.why_full else p.new
    return parts


def _unchanged(ctx: PipelineContext, part: incremental.Part) -> SourceResult:
    """A counter part with no new batch: nothing to read, its statistics from the state."""
    metrics = [
        (str(r["batch_id"]), str(r["metric"]), int(r["n"]))
        for r in ctx.engine.fetch_rows(
            f"SELECT batch_id, metric, n FROM {incremental.METRICS} WHERE fingerprint = '{part.fp}'"
        )
    ]
    return SourceResult(part.source, stats=stats_of(metrics), append_only=True)


@step("standardize", order=100)
def standardize(ctx: PipelineContext) -> dict[str, Any]:
    """Clean and standardize every landed source into the std_ tables (seed 001 §3.2)."""
    return standardize_all(ctx)
