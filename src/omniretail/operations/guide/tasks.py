"""Clerk task lists (导购任务): segments and journeys turned into per-clerk worklists.

Each day, for every customer bound to a clerk (not in the clerks' holdout), the published
snapshot's tags decide which tasks are due:

| kind | when (tag on ``customer_tags``) | re-entry | priority |
|---|---|---|---|
| dormant_high_value | dormant, and ``rfm_m`` ≥ 4 or ``sales_total`` ≥ 1500 | 30 days | 70 |
| coupon_expiring | holds a coupon expiring in 3 days (the coupon service) | 7 days | 60 |
| birthday | ``birthday_this_month`` | 330 days | 50 |
| repurchase_due | ``overdue_ratio`` between 0.9 and 1.3 | 21 days | 40 |
| new_product_fans | ``new_product_lover`` | 30 days | 30 |

A customer gets at most one task a day (the highest priority); a clerk at most the policy's
``daily_task_cap`` (the most valuable customers first). Every task carries a suggested message
and coupon template. The whole generation is one SQL statement on the snapshot joined with the
bindings and recent tasks (registered as Arrow tables) and one bulk insert, so 7,000 clerks over
a million members take seconds, not a loop per clerk (bench/guide_tasks.py).
"""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta
from typing import Any, cast

import pyarrow as pa
from sqlalchemy import Table, delete
from sqlalchemy.orm import Session

from omniretail.marketing.coupon import service as coupon_service
from omniretail.operations.guide.models import GuideTask
from omniretail.operations.guide.schemas import TaskRunRead
from omniretail.operations.guide.service import get_policy
from omniretail.platform import bulk
from omniretail.platform.engine.base import AnalyticsEngine
from omniretail.platform.engine.snapshot import require_tables

REENTRY_DAYS = {
    "dormant_high_value": 30,
    "coupon_expiring": 7,
    "birthday": 330,
    "repurchase_due": 21,
    "new_product_fans": 30,
}
PRIORITY = {
    "dormant_high_value": 70,
    "coupon_expiring": 60,
    "birthday": 50,
    "repurchase_due": 40,
    "new_product_fans": 30,
}
# The suggested coupon template per kind (a chain renames them in its coupon templates).
COUPON_FOR = {
    "dormant_high_value": "GUIDE_WINBACK",
    "coupon_expiring": None,
    "birthday": "GUIDE_BIRTHDAY",
    "repurchase_due": "GUIDE_REPURCHASE",
    "new_product_fans": "GUIDE_NEWPRODUCT",
}
MESSAGE_FOR = {
    "dormant_high_value": "好久不见！我是您的专属导购，店里上了不少新品，给您留了一张回归礼券，"
    "有空来店里坐坐～",
    "coupon_expiring": "提醒您：您的优惠券三天内就要过期啦，别浪费哦，需要的话我帮您留货～",
    "birthday": "生日快乐！这个月是您的生日月，我给您准备了一张生日礼券，祝您天天开心～",
    "repurchase_due": "您常买的商品差不多该补货啦，需要的话我帮您备好，到店或小程序都可以～",
    "new_product_fans": "新品到店啦！按您的口味挑了几款，给您一张尝鲜券，欢迎来试试～",
}
BINDINGS_VIEW = "guide_task_bindings"
EXPIRING_VIEW = "guide_task_expiring"
RECENT_VIEW = "guide_task_recent"


def _columns(
    session: Session, sql: str, names: tuple[str, ...], types: tuple[Any, ...]
) -> pa.Table:
    """A query's rows as an Arrow table, through the driver's cursor (no row objects: a
    million bindings are read in a fraction of the ORM's time)."""
    rows = session.connection().exec_driver_sql(sql).fetchall()
    cols = list(zip(*rows, strict=True)) if rows else [() for _ in names]
    return pa.table({n: pa.array(c, t) for n, c, t in zip(names, cols, types, strict=True)})


def bindings_table(session: Session) -> pa.Table:
    """The customers the tasks are for: each bound customer (not in the clerks' holdout) with
    the clerk and store (what :func:`generate_tasks` reads unless given it)."""
    return _columns(
        session,
        "SELECT c.customer_id, b.staff_code, b.store_code FROM guide_customer c"
        " JOIN guide_binding b ON b.id = c.binding_id WHERE NOT b.holdout",
        ("customer_id", "staff_code", "store_code"),
        (pa.string(), pa.string(), pa.string()),
    )


def _recent_table(session: Session, day: date) -> pa.Table:
    since = day - timedelta(days=max(REENTRY_DAYS.values()))
    table = _columns(
        session,
        "SELECT customer_id, kind, CAST(day AS VARCHAR(10)), staff_code FROM guide_task"
        f" WHERE day >= '{since.isoformat()}'",
        ("customer_id", "kind", "day", "staff_code"),
        (pa.string(), pa.string(), pa.string(), pa.string()),
    )
    return table.set_column(2, "day", table.column("day").cast(pa.date32()))


def _case(mapping: dict[str, Any]) -> str:
    def lit(v: Any) -> str:
        if v is None:
            return "NULL"
        return str(v) if isinstance(v, int) else "'" + str(v).replace("'", "''") + "'"

    return "CASE kind " + " ".join(f"WHEN '{k}' THEN {lit(v)}" for k, v in mapping.items()) + " END"


def due_tasks_sql(day: date, cap: int) -> str:
    reentry = _case(REENTRY_DAYS)
    today = day.isoformat()
    return f"""
WITH t AS (
  SELECT b.customer_id, b.staff_code, b.store_code,
         coalesce(CAST(c.sales_total AS DOUBLE), 0) AS value,
         c.lifecycle_stage = 'dormant'
           AND (c.rfm_m >= 4 OR coalesce(c.sales_total, 0) >= 1500) AS dormant_high_value,
         e.customer_id IS NOT NULL AS coupon_expiring,
         coalesce(c.birthday_this_month, false) AS birthday,
         coalesce(c.overdue_ratio BETWEEN 0.9 AND 1.3, false) AS repurchase_due,
         coalesce(c.new_product_lover, false) AS new_product_fans
  FROM {BINDINGS_VIEW} b
  LEFT JOIN customer_tags c ON c.customer_id = b.customer_id
  LEFT JOIN (SELECT DISTINCT customer_id FROM {EXPIRING_VIEW}) e ON e.customer_id = b.customer_id
),
due AS (
  SELECT customer_id, staff_code, store_code, value, kind FROM t
  UNPIVOT (flag FOR kind IN (dormant_high_value, coupon_expiring, birthday, repurchase_due,
                             new_product_fans))
  WHERE flag
),
fresh AS (
  SELECT d.*, {_case(PRIORITY)} AS priority FROM due d
  WHERE NOT EXISTS (
    SELECT 1 FROM {RECENT_VIEW} r
    WHERE r.customer_id = d.customer_id
      AND (r.day = DATE '{today}'
           OR (r.kind = d.kind AND r.day > DATE '{today}' - CAST({reentry} AS INTEGER)))
  )
),
given AS (
  SELECT staff_code, count(*) AS n FROM {RECENT_VIEW} WHERE day = DATE '{today}'
  GROUP BY staff_code
),
one_per_customer AS (
  SELECT * FROM fresh QUALIFY row_number() OVER (
    PARTITION BY customer_id ORDER BY priority DESC, kind) = 1
)
SELECT p.customer_id, p.staff_code, p.store_code, p.kind, p.priority, p.value
FROM one_per_customer p LEFT JOIN given g ON g.staff_code = p.staff_code
QUALIFY row_number() OVER (
  PARTITION BY p.staff_code ORDER BY p.priority DESC, p.value DESC, p.customer_id)
  <= {int(cap)} - coalesce(g.n, 0)
ORDER BY p.staff_code, p.priority DESC, p.value DESC, p.customer_id
"""


def generate_tasks(
    session: Session,
    engine: AnalyticsEngine,
    *,
    day: date,
    now: datetime | None = None,
    bindings: pa.Table | None = None,
) -> TaskRunRead:
    """Write the day's tasks for every clerk. A rerun the same day adds tasks only for customers
    without one today, within what the clerk's cap leaves. ``bindings``: the
    :func:`bindings_table` already read (several days generated in a row, the bindings
    unchanged between them), else it is read here."""
    t0 = time.perf_counter()
    require_tables(engine, "customer_tags")
    now = now or datetime.now(UTC)
    policy = get_policy(session)
    engine.register_arrow_view(
        BINDINGS_VIEW, bindings_table(session) if bindings is None else bindings
    )
    engine.register_arrow_view(
        EXPIRING_VIEW,
        pa.table(
            {
                "customer_id": pa.array(
                    coupon_service.expiring_holders(session, now=now), pa.string()
                )
            }
        ),
    )
    engine.register_arrow_view(RECENT_VIEW, _recent_table(session, day))
    due = engine.fetch_arrow(due_tasks_sql(day, policy.daily_task_cap))
    cols = due.to_pydict()
    rows = [
        {
            "day": day,
            "staff_code": staff,
            "store_code": store,
            "customer_id": cid,
            "kind": kind,
            "priority": int(prio),
            "message": MESSAGE_FOR[kind],
            "coupon_template": COUPON_FOR[kind],
            "status": "open",
            "channel": None,
            "message_id": None,
            "coupon_code": None,
            "closed_at": None,
            "created_at": now,
        }
        for cid, staff, store, kind, prio in zip(
            cols["customer_id"], cols["staff_code"], cols["store_code"], cols["kind"],
            cols["priority"], strict=True,
        )
    ]  # fmt: skip
    bulk.insert_rows(session, cast(Table, GuideTask.__table__), rows)
    session.flush()
    by_kind: dict[str, int] = {}
    for r in rows:
        by_kind[r["kind"]] = by_kind.get(r["kind"], 0) + 1
    return TaskRunRead(
        day=day,
        tasks=len(rows),
        clerks=len({r["staff_code"] for r in rows}),
        by_kind=by_kind,
        seconds=round(time.perf_counter() - t0, 3),
    )


def clear_open_tasks(session: Session, *, day: date) -> int:
    """Drop a day's untouched tasks (before regenerating them with new rules)."""
    res = session.execute(delete(GuideTask).where(GuideTask.day == day, GuideTask.status == "open"))
    return int(res.rowcount)  # type: ignore[attr-defined]
