"""Pipeline step: store traffic (order 515, after the KPI tables).

Incremental unless a full refresh: ``trf_counts`` is a view over ``std_traffic_counts`` (no
copy), and the tables built from it are refreshed only for the *affected store-days* — those
with rows of a landed batch not folded in yet, or whose in-store sales or identified visitors
changed since the last run — by replacing those store-days' rows in place
(``AnalyticsEngine.replace_rows``). ``trf_batch_state`` records per batch what was folded in
(rows, sums, first and last bucket); the step rebuilds everything when a folded batch changed
or disappeared, when the stores or the door registry changed (``trf_master_state``), when a
door's first counted day moved (its ``counter_stopped`` days depend on it), or when the
counts carry no batch id. Replaying the same data changes nothing.
"""

from __future__ import annotations

from typing import Any

from omniretail.insight.traffic import sql
from omniretail.platform.engine.base import AnalyticsEngine
from omniretail.platform.pipeline import PipelineContext, step

TABLES = (
    "trf_counts",
    "trf_counter_flags",
    "trf_sales_hourly",
    "trf_hourly",
    "trf_visits",
    "trf_face_refused",
    "trf_identified",
    "trf_kpi_daily",
    "trf_kpi_weekly",
    "trf_findings",
)
STATE = "trf_batch_state"
MASTER = "trf_master_state"
DOOR_FIRST = "trf_door_first"
INCREMENTAL_TABLES = (
    "trf_counter_flags",
    "trf_sales_hourly",
    "trf_hourly",
    "trf_identified",
    "trf_kpi_daily",
    "trf_kpi_weekly",
    "trf_findings",
    STATE,
    MASTER,
    DOOR_FIRST,
)
# scratch tables of one run
AFFECTED = "__trf_affected"  # store_code, day
AFFECTED_DAYS = "__trf_affected_days"  # store_code, period_start (a day)
AFFECTED_WEEKS = "__trf_affected_weeks"  # store_code, period_start (an ISO week's Monday)
SALES_NEXT = "__trf_sales_next"
NEW_COUNTS = "__trf_new_counts"  # the rows of batches not folded in yet
SCOPE_COUNTS = "__trf_scope_counts"  # every count row of the affected store-days
IDENTIFIED_NEXT = "__trf_identified_next"
BATCHES_NOW = "__trf_batches_now"


def _count(e: AnalyticsEngine, sql_text: str) -> int:
    return int(e.scalar(sql_text) or 0)


def _changed_days(e: AnalyticsEngine, old: str, new: str) -> str:
    """The store-days where table ``new`` differs from ``old`` (same columns, with store_code
    and day)."""
    return (
        f"SELECT store_code, day FROM ((SELECT * FROM {new} EXCEPT SELECT * FROM {old}) "
        f"UNION ALL (SELECT * FROM {old} EXCEPT SELECT * FROM {new})) d"
    )


def _plan(ctx: PipelineContext, with_batch: bool) -> tuple[str, str]:
    """("full" | "incremental", why)."""
    e = ctx.engine
    if ctx.full_refresh:
        return "full", "full_refresh"
    if not with_batch:
        return "full", "no_batch_ids"
    if not all(e.table_exists(t) for t in INCREMENTAL_TABLES):
        return "full", "first_run"
    now = e.scalar(sql.MASTER_SQL)
    if now != e.scalar(f"SELECT fingerprint FROM {MASTER}"):
        return "full", "master_changed"
    cols = ", ".join(e.columns(STATE))
    changed = _count(
        e,
        f"SELECT count(*) FROM (SELECT {cols} FROM {STATE} EXCEPT "
        f"SELECT {cols} FROM {BATCHES_NOW}) d",
    )
    if changed:
        return "full", "batch_changed"
    return "incremental", "new_batches"


def _identified(e: AnalyticsEngine, target: str) -> None:
    if e.table_exists("events"):
        e.materialize("trf_visit_events", sql.VISIT_EVENTS_SQL, scratch=True)
        e.materialize("trf_face_checked", sql.FACE_CONSENT_SQL, scratch=True)
        e.materialize("trf_visits", sql.VISITS_SQL)
        e.materialize("trf_face_refused", sql.FACE_REFUSED_SQL)
        e.materialize(target, sql.IDENTIFIED_SQL, scratch=target != "trf_identified")
    else:
        e.materialize(target, sql.NO_IDENTIFIED_SQL, scratch=target != "trf_identified")


def _full(e: AnalyticsEngine) -> None:
    e.materialize("trf_counter_flags", sql.FLAGS_SQL)
    e.materialize(DOOR_FIRST, sql.DOOR_FIRST_SQL)
    e.materialize("trf_sales_hourly", sql.SALES_HOURLY_SQL)
    unique = _count(e, sql.UNIQUE_HOURS_SQL) == 0
    e.materialize("trf_hourly", sql.hourly_sql(one_row_an_hour=unique))
    _identified(e, "trf_identified")
    e.materialize("trf_kpi_daily", sql.KPI_DAILY_SQL)
    e.materialize("trf_kpi_weekly", sql.KPI_WEEKLY_SQL)
    e.materialize("trf_findings", sql.FINDINGS_SQL)


def _incremental(e: AnalyticsEngine) -> dict[str, int]:
    """Refresh the affected store-days only; returns how many there were."""
    e.materialize(SALES_NEXT, sql.SALES_HOURLY_SQL, scratch=True)
    _identified(e, IDENTIFIED_NEXT)
    e.materialize(
        NEW_COUNTS,
        "SELECT * FROM trf_counts c WHERE NOT EXISTS "
        f"(SELECT 1 FROM {STATE} s WHERE s._batch_id = c._batch_id)",
        scratch=True,
    )
    new_days = f"SELECT DISTINCT store_code, day FROM {NEW_COUNTS}"
    e.materialize(
        AFFECTED,
        f"SELECT DISTINCT store_code, day FROM ({new_days} UNION ALL "
        f"{_changed_days(e, 'trf_sales_hourly', SALES_NEXT)} UNION ALL "
        f"{_changed_days(e, 'trf_identified', IDENTIFIED_NEXT)}) a "
        "WHERE store_code IS NOT NULL AND day IS NOT NULL",
        scratch=True,
    )
    affected = _count(e, f"SELECT count(*) FROM {AFFECTED}")
    # a door counted for the first time, or earlier than before: its counter_stopped days
    # before the new rows change too, so the findings are rebuilt whole
    e.materialize(
        "__trf_door_first_next",
        f"SELECT store_code, door_code, min(first_day) AS first_day FROM ("
        f"SELECT store_code, door_code, first_day FROM {DOOR_FIRST} UNION ALL "
        f"SELECT store_code, door_code, min(day) AS first_day FROM {NEW_COUNTS} "
        "GROUP BY store_code, door_code) d GROUP BY store_code, door_code",
        scratch=True,
    )
    first_changed = (
        "SELECT store_code, door_code, first_day FROM __trf_door_first_next EXCEPT "
        f"SELECT store_code, door_code, first_day FROM {DOOR_FIRST}"
    )
    changed = _count(e, f"SELECT count(*) FROM ({first_changed}) d")
    moved = _count(  # of the registered doors (the others are flagged, never findings)
        e,
        f"SELECT count(*) FROM ({first_changed}) d WHERE EXISTS (SELECT 1 FROM "
        "dim_traffic_door g WHERE g.store_code = d.store_code AND g.door_code = d.door_code)",
    )
    e.materialize("trf_sales_hourly", f"SELECT * FROM {SALES_NEXT}")
    e.materialize("trf_identified", f"SELECT * FROM {IDENTIFIED_NEXT}")
    if changed:
        e.materialize(DOOR_FIRST, "SELECT * FROM __trf_door_first_next")
    if not affected and not moved:
        return {"affected_store_days": 0, "doors_first_counted": 0}
    keys = ("store_code", "day")
    e.materialize(  # one pass over the counts for the three scoped tables below
        SCOPE_COUNTS,
        f"SELECT * FROM trf_counts c WHERE EXISTS (SELECT 1 FROM {AFFECTED} a "
        "WHERE a.store_code = c.store_code AND a.day = c.day)",
        scratch=True,
    )
    e.replace_rows("trf_counter_flags", AFFECTED, keys, sql.flags_sql(AFFECTED, SCOPE_COUNTS))
    e.replace_rows("trf_hourly", AFFECTED, keys, sql.hourly_sql(AFFECTED, SCOPE_COUNTS))
    e.materialize(
        AFFECTED_DAYS, f"SELECT store_code, day AS period_start FROM {AFFECTED}", scratch=True
    )
    e.materialize(
        AFFECTED_WEEKS,
        f"SELECT DISTINCT store_code, {sql.WEEK} AS period_start FROM {AFFECTED} h",
        scratch=True,
    )
    period = ("store_code", "period_start")
    e.replace_rows("trf_kpi_daily", AFFECTED_DAYS, period, sql.kpi_sql(sql.DAY, AFFECTED_DAYS))
    e.replace_rows("trf_kpi_weekly", AFFECTED_WEEKS, period, sql.kpi_sql(sql.WEEK, AFFECTED_WEEKS))
    if moved:
        e.materialize("trf_findings", sql.FINDINGS_SQL)
    else:
        e.replace_rows("trf_findings", AFFECTED, keys, sql.findings_sql(AFFECTED, SCOPE_COUNTS))
    return {"affected_store_days": affected, "doors_first_counted": moved}


@step("insight.traffic", order=515)
def build_traffic(ctx: PipelineContext) -> dict[str, Any]:
    """People-counter checks (unknown store/door, out > in over a day), visitors and in-store
    sales per store × hour/day/week with 进店率, 转化率, 客单价, 连带率, 坪效, and the traffic
    findings (counter stopped, traffic without sales) — for the store-days a new counter
    batch, a sales change or an identified visit touched (a full refresh: all)."""
    e = ctx.engine
    if not e.table_exists("std_traffic_counts") or not e.table_exists("ins_order_facts"):
        return {"skipped": "no std_traffic_counts or ins_order_facts"}
    with_batch = "_batch_id" in e.columns("std_traffic_counts")
    e.drop("trf_counts")  # a table in instances built before it became a view
    e.create_view("trf_counts", sql.counts_sql(with_batch))
    if with_batch:
        e.materialize(BATCHES_NOW, sql.BATCHES_SQL, scratch=True)
    mode, why = _plan(ctx, with_batch)
    out: dict[str, Any] = {"mode": mode, "why": why}
    if mode == "full":
        _full(e)
    else:
        out.update(_incremental(e))
    if with_batch:
        e.materialize(STATE, f"SELECT * FROM {BATCHES_NOW}")
    e.materialize(MASTER, f"SELECT ({sql.MASTER_SQL}) AS fingerprint")
    for name in list(e.list_tables("__trf_")):
        e.drop(name)
    flags = {
        str(r["reason"]): int(r["n"])
        for r in e.fetch_rows(
            "SELECT reason, count(*) AS n FROM trf_counter_flags GROUP BY reason ORDER BY reason"
        )
    }
    findings = {
        str(r["kind"]): int(r["n"])
        for r in e.fetch_rows(
            "SELECT kind, count(*) AS n FROM trf_findings GROUP BY kind ORDER BY kind"
        )
    }
    refused = (
        int(e.scalar("SELECT coalesce(sum(matches), 0) FROM trf_face_refused") or 0)
        if e.table_exists("trf_face_refused")
        else 0
    )
    return {
        **out,
        "face_matches_without_consent": refused,
        "store_days": int(e.scalar("SELECT count(*) FROM trf_kpi_daily") or 0),
        "flagged_door_days": flags,
        "findings": findings,
    }
