"""Segment builder services: count and preview a rule, save segments, snapshot members.

Counting runs on any analytics engine; the console's live preview runs on the published
DuckDB snapshot (read-only), so it never waits for a running pipeline.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from omniretail.insight.segment.errors import SegmentNameTaken, SegmentNotFound
from omniretail.insight.segment.models import Segment, SegmentSnapshot
from omniretail.insight.segment.rules import CompiledRule, compile_rule, score_type
from omniretail.platform import export
from omniretail.platform.auth.scope import StoreScope
from omniretail.platform.db import utcnow
from omniretail.platform.engine import published_path
from omniretail.platform.engine.base import AnalyticsEngine
from omniretail.platform.engine.snapshot import (
    NoPublishedSnapshot,
    require_tables,
    run_on_published,
)
from omniretail.platform.errors import InvalidInput
from omniretail.platform.i18n import N_

BREAKDOWNS: dict[str, str] = {
    "store": "preferred_store",
    "region": "region",
    "channel": "most_active_channel",
    "tier": "value_tier",
}
KEEP_SNAPSHOTS = 10
BAD_REFRESH = N_("Refresh must be daily or manual")
NAME_TAKEN = N_("A segment named %(name)s already exists")
NOT_FOUND = N_("Segment %(id)s does not exist")
UNKNOWN_COLUMN = N_("Unknown tag %(name)s in the export columns")


def score_columns(engine: AnalyticsEngine) -> dict[str, str]:
    """Columns of ``customer_scores`` (the models' output) usable in rules, when present."""
    if not engine.table_exists("customer_scores"):
        return {}
    schema = engine.fetch_arrow("SELECT * FROM customer_scores LIMIT 0").schema
    out = {}
    for f in schema:
        typ = score_type(str(f.type))
        if typ:
            out[f.name] = typ
    return out


def compile_for(engine: AnalyticsEngine, rule: Any) -> CompiledRule:
    """Compile ``rule`` for ``engine``; a snapshot lacking a table it reads raises
    NoPublishedSnapshot naming the table."""
    compiled = compile_rule(rule, score_columns=score_columns(engine))
    require_tables(engine, *compiled.required_tables())
    return compiled


def _scope(store_codes: Sequence[str] | None) -> str:
    """A customer of the caller's stores: preferred or home store (segments are wider than
    the home store alone)."""
    scope = StoreScope.of_codes(store_codes)
    if scope.all_stores:
        return ""
    return f" AND ({scope.sql('t.preferred_store')} OR {scope.sql('t.home_store')})"


def customers_of_stores_sql(store_codes: Sequence[str]) -> str:
    """The customer ids of ``store_codes``' customers (preferred or home store, the segments'
    store rule), for narrowing an audience to some stores."""
    return f"SELECT t.customer_id FROM customer_tags t WHERE TRUE{_scope(store_codes)}"


def members_sql(compiled: CompiledRule, store_codes: Sequence[str] | None = None) -> str:
    return (
        f"SELECT t.customer_id FROM {compiled.from_sql()} "
        f"WHERE {compiled.where}{_scope(store_codes)}"
    )


def count_segment(
    engine: AnalyticsEngine,
    rule: Any,
    *,
    store_codes: Sequence[str] | None = None,
    breakdown: bool = False,
    top: int = 20,
) -> dict[str, Any]:
    """Count the customers matching ``rule`` (and, optionally, break them down)."""
    require_tables(engine, "customer_tags", "ins_as_of")
    compiled = compile_for(engine, rule)
    base = f"FROM {compiled.from_sql()} WHERE {compiled.where}{_scope(store_codes)}"
    result: dict[str, Any] = {
        "conditions": compiled.conditions,
        "as_of": _iso(engine.scalar("SELECT as_of FROM ins_as_of")),
    }
    if not breakdown:
        result["count"] = int(engine.scalar(f"SELECT count(*) {base}") or 0)
        return result
    cols = ", ".join(f"t.{c} AS {k}" for k, c in BREAKDOWNS.items())
    keys = ", ".join(BREAKDOWNS)
    flags = ", ".join(f"GROUPING({k}) AS g_{k}" for k in BREAKDOWNS)
    sets = ", ".join(f"({k})" for k in BREAKDOWNS) + ", ()"
    rows = engine.fetch_rows(
        f"SELECT {keys}, {flags}, count(*) AS n FROM (SELECT {cols} {base}) m "
        f"GROUP BY GROUPING SETS ({sets})"
    )
    total = 0
    groups: dict[str, list[dict[str, Any]]] = {k: [] for k in BREAKDOWNS}
    for r in rows:
        dims = [k for k in BREAKDOWNS if int(r[f"g_{k}"]) == 0]
        if not dims:
            total = int(r["n"])
            continue
        k = dims[0]
        groups[k].append({"key": r[k] if r[k] is not None else "unknown", "count": int(r["n"])})
    for k in groups:
        groups[k].sort(key=lambda g: (-g["count"], str(g["key"])))
        groups[k] = groups[k][:top]
    result["count"] = total
    result["breakdown"] = groups
    return result


def segment_member_ids(
    engine: AnalyticsEngine, rule: Any, *, store_codes: Sequence[str] | None = None
) -> list[str]:
    compiled = compile_for(engine, rule)
    rows = engine.fetch_arrow(members_sql(compiled, store_codes) + " ORDER BY t.customer_id")
    return [str(v) for v in rows.column(0).to_pylist()]


def export_members_csv(
    engine: AnalyticsEngine,
    rule: Any,
    path: Path,
    *,
    store_codes: Sequence[str] | None = None,
    columns: Sequence[str] = (
        "customer_id",
        "lifecycle_stage",
        "rfm_group",
        "value_tier",
        "preferred_store",
        "most_active_channel",
    ),
) -> int:
    """Write the members with a few tags as CSV (UTF-8); returns the row count."""
    from omniretail.insight.tag.catalogue import get_tag

    for col in columns:
        if col != "customer_id" and get_tag(col) is None:
            raise InvalidInput(
                f"unknown tag {col!r} in the export columns",
                field="columns",
                message=UNKNOWN_COLUMN,
                params={"name": col},
            )
    compiled = compile_for(engine, rule)
    cols = ", ".join(f"t.{c}" for c in columns)
    table = engine.fetch_arrow(
        f"SELECT {cols} FROM {compiled.from_sql()} WHERE {compiled.where}"
        f"{_scope(store_codes)} ORDER BY t.customer_id"
    )
    return export.write_arrow_csv(table, path)


# -- saved segments (operational store) ---------------------------------------------------
def create_segment(
    session: Session,
    *,
    name: str,
    rule: dict[str, Any],
    description: str | None = None,
    store_codes: list[str] | None = None,
    created_by: str | None = None,
    refresh: str = "daily",
) -> Segment:
    compile_rule(rule, score_columns=_published_scores())
    if refresh not in ("daily", "manual"):
        raise InvalidInput("refresh must be daily or manual", field="refresh", message=BAD_REFRESH)
    if session.scalar(select(Segment).where(Segment.name == name)) is not None:
        raise SegmentNameTaken(
            f"a segment named {name!r} exists",
            field="name",
            message=NAME_TAKEN,
            params={"name": name},
        )
    seg = Segment(
        name=name,
        rule=rule,
        description=description,
        store_codes=store_codes,
        created_by=created_by,
        refresh=refresh,
    )
    session.add(seg)
    session.flush()
    return seg


def _published_scores() -> dict[str, str]:
    try:
        result: dict[str, str] = run_on_published(score_columns)
    except NoPublishedSnapshot:
        return {}
    return result


def get_segment(session: Session, segment_id: int) -> Segment:
    seg = session.get(Segment, segment_id)
    if seg is None:
        raise SegmentNotFound(
            f"segment {segment_id} does not exist",
            field="segment_id",
            message=NOT_FOUND,
            params={"id": segment_id},
        )
    return seg


def list_segments(session: Session, *, store_codes: Sequence[str] | None = None) -> list[Segment]:
    segs = list(session.scalars(select(Segment).order_by(Segment.name)))
    if store_codes is None:
        return segs
    allowed = set(store_codes)
    return [s for s in segs if s.store_codes and set(s.store_codes) <= allowed]


def update_segment(
    session: Session,
    segment_id: int,
    *,
    name: str | None = None,
    rule: dict[str, Any] | None = None,
    description: str | None = None,
    refresh: str | None = None,
) -> Segment:
    """Change a saved segment's name, rule, description or refresh (the rule is checked as on
    creation; a campaign using the segment reads the new rule at its next launch)."""
    seg = get_segment(session, segment_id)
    if rule is not None:
        compile_rule(rule, score_columns=_published_scores())
        seg.rule = rule
        seg.last_count = None  # counted again at the next refresh
    if refresh is not None:
        if refresh not in ("daily", "manual"):
            raise InvalidInput(
                "refresh must be daily or manual", field="refresh", message=BAD_REFRESH
            )
        seg.refresh = refresh
    if name is not None and name != seg.name:
        if session.scalar(select(Segment).where(Segment.name == name)) is not None:
            raise SegmentNameTaken(
                f"a segment named {name!r} exists",
                field="name",
                message=NAME_TAKEN,
                params={"name": name},
            )
        seg.name = name
    if description is not None:
        seg.description = description
    session.flush()
    return seg


# Ready-made segments for the common asks, one click in the builder. A preset reading model
# scores (``score.*``) is offered only when the snapshot has them.
PRESETS: tuple[tuple[str, str, str, dict[str, Any]], ...] = (
    (
        "dormant_high_value",
        "沉睡高价值会员",
        "Dormant high-value members",
        {
            "all": [
                {"field": "lifecycle_stage", "op": "in", "value": ["dormant", "churned"]},
                {"field": "value_tier", "op": "in", "value": ["diamond", "gold"]},
            ]
        },
    ),
    (
        "birthday_this_month",
        "本月生日",
        "Birthday this month",
        {"all": [{"field": "birthday_this_month", "op": "is_true"}]},
    ),
    (
        "new_not_repurchased",
        "新客未复购",
        "New customers who have not bought again",
        {
            "all": [
                {"field": "orders_total", "op": "eq", "value": 1},
                {"field": "days_since_last_order", "op": "gte", "value": 30},
            ]
        },
    ),
    (
        "dormancy_risk_high",
        "高沉睡风险",
        "High dormancy risk",
        {"all": [{"field": "dormancy_risk", "op": "eq", "value": "high"}]},
    ),
    (
        "churn_risk_high",
        "流失风险高（模型）",
        "High churn risk (model)",
        {"all": [{"field": "score.churn_risk", "op": "gte", "value": 0.6}]},
    ),
    (
        "repurchase_due",
        "复购到期（7天内）",
        "Repurchase due within 7 days",
        {"all": [{"field": "score.replenishment_due_in_days", "op": "lte", "value": 7}]},
    ),
    (
        "high_clv",
        "高预期价值（一年≥500元）",
        "High expected value (≥ ¥500 in a year)",
        {"all": [{"field": "score.expected_value_365d", "op": "gte", "value": 500}]},
    ),
)


def presets(score_columns: dict[str, str]) -> list[dict[str, Any]]:
    """The ready-made segments this snapshot can count."""

    def fields(node: Any) -> list[str]:
        if isinstance(node, dict):
            own = [str(node["field"])] if "field" in node else []
            return own + [f for v in node.values() for f in fields(v)]
        if isinstance(node, list):
            return [f for v in node for f in fields(v)]
        return []

    out = []
    for key, zh, en, rule in PRESETS:
        needs = [f.removeprefix("score.") for f in fields(rule) if f.startswith("score.")]
        if all(n in score_columns for n in needs):
            out.append({"key": key, "zh": zh, "en": en, "rule": rule})
    return out


def delete_segment(session: Session, segment_id: int) -> None:
    seg = get_segment(session, segment_id)
    session.execute(delete(SegmentSnapshot).where(SegmentSnapshot.segment_id == segment_id))
    session.delete(seg)
    session.flush()


def snapshots(session: Session, segment_id: int) -> list[SegmentSnapshot]:
    get_segment(session, segment_id)
    return list(
        session.scalars(
            select(SegmentSnapshot)
            .where(SegmentSnapshot.segment_id == segment_id)
            .order_by(SegmentSnapshot.taken_at.desc(), SegmentSnapshot.id.desc())
        )
    )


def refresh_segments(
    engine: AnalyticsEngine, session: Session, *, only: Sequence[int] | None = None
) -> dict[str, int]:
    """Snapshot the members of every saved segment (daily ones, or ``only``) into
    ``segment_members`` (keeping the last snapshots) and record counts."""
    query = select(Segment).order_by(Segment.id)
    segs = [
        s
        for s in session.scalars(query)
        if (only is not None and s.id in only) or (only is None and s.refresh == "daily")
    ]
    if not segs:
        return {}
    as_of = engine.scalar("SELECT as_of FROM ins_as_of")
    counts: dict[str, int] = {}
    parts = []
    snaps: list[tuple[Segment, SegmentSnapshot]] = []
    for seg in segs:
        snap = SegmentSnapshot(segment_id=seg.id, as_of=as_of, member_count=0, engine=engine.name)
        session.add(snap)
        session.flush()
        compiled = compile_for(engine, seg.rule)
        parts.append(
            f"SELECT CAST({seg.id} AS BIGINT) AS segment_id, CAST({snap.id} AS BIGINT) "
            f"AS snapshot_id, m.customer_id FROM ({members_sql(compiled, seg.store_codes)}) m"
        )
        snaps.append((seg, snap))
    new_rows = " UNION ALL ".join(parts)
    if engine.table_exists("segment_members"):
        keep_ids = [
            sid
            for seg, _ in snaps
            for sid in session.scalars(
                select(SegmentSnapshot.id)
                .where(SegmentSnapshot.segment_id == seg.id)
                .order_by(SegmentSnapshot.id.desc())
                .limit(KEEP_SNAPSHOTS)
            )
        ]
        refreshed = ", ".join(str(seg.id) for seg, _ in snaps)
        kept = ", ".join(str(i) for i in keep_ids) or "-1"
        existing = ", ".join(str(i) for i in session.scalars(select(Segment.id))) or "-1"
        old = (
            "SELECT segment_id, snapshot_id, customer_id FROM segment_members "
            f"WHERE segment_id IN ({existing}) "
            f"AND (segment_id NOT IN ({refreshed}) OR snapshot_id IN ({kept}))"
        )
        engine.materialize("segment_members", f"{old} UNION ALL {new_rows}")
    else:
        engine.materialize("segment_members", new_rows)
    rows = engine.fetch_rows(
        "SELECT snapshot_id, count(*) AS n FROM segment_members WHERE snapshot_id IN ("
        + ", ".join(str(s.id) for _, s in snaps)
        + ") GROUP BY snapshot_id"
    )
    by_snap = {int(r["snapshot_id"]): int(r["n"]) for r in rows}
    now = utcnow()
    for seg, snap in snaps:
        snap.member_count = by_snap.get(snap.id, 0)
        seg.last_count = snap.member_count
        seg.last_refreshed_at = now
        counts[seg.name] = snap.member_count
    session.flush()
    return counts


def _iso(v: Any) -> str | None:
    return v.isoformat() if isinstance(v, date) else (str(v) if v is not None else None)


EXAMPLE_RULE: dict[str, Any] = {
    "all": [
        {"field": "lifecycle_stage", "op": "in", "value": ["growing", "mature"]},
        {"field": "consent_wechat", "op": "is_true"},
        {"purchase": {"category": "DUCK_NECK", "min_times": 2, "days": 90}},
    ]
}


_example_cache: dict[float, dict[str, Any]] = {}


def example_category(engine: AnalyticsEngine) -> str | None:
    """The category the starting rule proposes: the one with the most members matching its
    purchase condition (bought on at least ``min_times`` days in the last ``days``; ties: most
    customer-days, then the code). Read from ``ins_customer_category_day``, the narrow sorted
    table the features step builds and the condition itself reads (only the window's slice),
    instead of scanning ``order_lines``; a snapshot without it falls back to the category with
    the most order lines."""
    cond = EXAMPLE_RULE["all"][2]["purchase"]
    if engine.table_exists("ins_customer_category_day") and engine.table_exists("ins_as_of"):
        top = engine.scalar(
            "SELECT category_code FROM (SELECT category_code, customer_id, count(*) AS days "
            "FROM ins_customer_category_day "
            f"WHERE order_day > (SELECT as_of FROM ins_as_of) - {int(cond['days'])} "
            "GROUP BY category_code, customer_id) t GROUP BY category_code "
            f"ORDER BY count(*) FILTER (WHERE days >= {int(cond['min_times'])}) DESC, "
            "sum(days) DESC, category_code LIMIT 1"
        )
    elif engine.table_exists("order_lines") and engine.table_exists("dim_product"):
        top = engine.scalar(
            "SELECT p.category_code FROM order_lines l JOIN dim_product p USING (sku) "
            "GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1"
        )
    else:
        top = None
    return str(top) if top is not None else None


def example_rule() -> dict[str, Any]:
    """The starting rule, buying the category that counts the most members (so it counts
    someone). Computed once per published snapshot, not on every page view."""
    path = published_path()
    stamp = path.stat().st_mtime if path.exists() else 0.0
    if stamp in _example_cache:
        return _example_cache[stamp]
    try:
        top = run_on_published(example_category)
    except NoPublishedSnapshot:
        top = None
    rule = {"all": [dict(n) for n in EXAMPLE_RULE["all"]]}
    if top:
        cond = EXAMPLE_RULE["all"][2]["purchase"]
        rule["all"][2] = {"purchase": {**cond, "category": top}}
    _example_cache.clear()
    _example_cache[stamp] = rule
    return rule
