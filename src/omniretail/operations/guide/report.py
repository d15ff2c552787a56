"""What the guide pages and the HQ ranking show: per clerk the bound customers (operational),
task completion (operational) and attributed / incremental sales (the snapshot's
``ops_guide_clerk_sales``); the chain-wide incremental effect of clerks' 1:1 work on their
treated customers vs the holdout, with a 95% interval; a clerk's customers with their tags and
last purchases."""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from omniretail.omnichannel.staff import service as staff_service
from omniretail.operations.guide import attribution, chats, service
from omniretail.operations.guide.models import GuideTask
from omniretail.platform.auth.scope import StoreScope
from omniretail.platform.db import utcnow
from omniretail.platform.engine.base import AnalyticsEngine
from omniretail.platform.engine.dialect import in_list


def task_counts(session: Session, *, since: date | None = None) -> dict[str, dict[str, int]]:
    """Tasks per clerk: total and closed (sent, done or refused)."""
    q = select(
        GuideTask.staff_code,
        func.count(),
        func.sum(case((GuideTask.status != "open", 1), else_=0)),
    ).group_by(GuideTask.staff_code)
    if since is not None:
        q = q.where(GuideTask.day >= since)
    return {str(s): {"tasks": int(n), "closed": int(c or 0)} for s, n, c in session.execute(q)}


REPLY_WINDOW = timedelta(days=30)


def clerk_ranking(
    session: Session,
    engine: AnalyticsEngine | None,
    scope: StoreScope,
    *,
    limit: int | None = 50,
    now: datetime | None = None,
) -> list[dict[str, Any]]:
    """Clerks of the visible stores, by attributed net sales (then bound customers); with
    their reply rate and mean first-reply minutes over the last 30 days (the conversation
    archive; None without chats). ``limit=None``: every clerk."""
    staff = {
        s.staff_id: s
        for s in staff_service.list_staff(session)
        if s.role in service.GUIDE_ROLES and scope.allows(s.store_code)
    }
    bound = service.bound_counts(session)
    done = task_counts(session)
    at = now or utcnow()
    contacts = service.contact_counts(session, since=at - timedelta(days=30))
    replies = chats.reply_stats(session, since=at - REPLY_WINDOW, until=at, staff_codes=staff)
    sales: dict[str, dict[str, Any]] = {}
    if engine is not None and engine.table_exists(attribution.CLERKS):
        sales = {
            r["staff_code"]: r for r in engine.fetch_rows(f"SELECT * FROM {attribution.CLERKS}")
        }
    rows = []
    for code, s in staff.items():
        sa = sales.get(code, {})
        tc = done.get(code, {"tasks": 0, "closed": 0})
        rows.append(
            {
                "staff_code": code,
                "name": s.name,
                "store_code": s.store_code,
                "bound": bound.get(code, 0),
                "new_30d": contacts.get(code, {}).get("new", 0),
                "deleted_30d": contacts.get(code, {}).get("deleted", 0),
                "tasks": tc["tasks"],
                "closed": tc["closed"],
                "completion": tc["closed"] / tc["tasks"] if tc["tasks"] else None,
                "orders": sa.get("orders", 0),
                "net_sales": float(sa.get("net_sales") or 0),
                "returns": float(sa.get("returns") or 0),
                "incremental": sa.get("incremental_sales"),
                "held_out": sa.get("held_out", 0),
                "chats": replies[code].chats if code in replies else 0,
                "replied": replies[code].replied if code in replies else 0,
                "reply_rate": replies[code].reply_rate if code in replies else None,
                "first_reply_minutes": replies[code].first_reply_minutes
                if code in replies
                else None,
            }
        )
    rows.sort(key=lambda r: (-r["net_sales"], -r["bound"], r["staff_code"]))
    return rows if limit is None else rows[:limit]


def store_rollup(clerks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The clerks' figures per store (every clerk of :func:`clerk_ranking` with ``limit=None``):
    sums of customers, contacts, tasks, orders and sales; the reply rate over all the store's
    chats and the mean first reply over all its answered ones; incremental sales summed over
    the clerks with a holdout (``no_holdout``: how many clerks have none), by net sales."""
    stores: dict[str | None, dict[str, Any]] = {}
    for r in clerks:
        s = stores.setdefault(r["store_code"], {
            "store_code": r["store_code"], "clerks": 0, "bound": 0, "new_30d": 0,
            "deleted_30d": 0, "tasks": 0, "closed": 0, "orders": 0, "net_sales": 0.0,
            "returns": 0.0, "incremental": None, "no_holdout": 0, "chats": 0, "replied": 0,
            "_reply_minutes": 0.0,
        })  # fmt: skip
        s["clerks"] += 1
        for k in ("bound", "new_30d", "deleted_30d", "tasks", "closed", "orders", "chats",
                  "replied"):  # fmt: skip
            s[k] += r.get(k) or 0
        s["net_sales"] += r["net_sales"]
        s["returns"] += r["returns"]
        if r["incremental"] is None:
            s["no_holdout"] += 1
        else:
            s["incremental"] = (s["incremental"] or 0.0) + float(r["incremental"])
        if r.get("first_reply_minutes") is not None:
            s["_reply_minutes"] += r["first_reply_minutes"] * (r.get("replied") or 0)
    out = []
    for s in stores.values():
        minutes = s.pop("_reply_minutes")
        s["completion"] = s["closed"] / s["tasks"] if s["tasks"] else None
        s["reply_rate"] = s["replied"] / s["chats"] if s["chats"] else None
        s["first_reply_minutes"] = minutes / s["replied"] if s["replied"] else None
        s["net_sales"], s["returns"] = round(s["net_sales"], 2), round(s["returns"], 2)
        if s["incremental"] is not None:
            s["incremental"] = round(s["incremental"], 2)
        out.append(s)
    out.sort(key=lambda s: (-s["net_sales"], -s["bound"], s["store_code"] or ""))
    return out


def incremental_effect(engine: AnalyticsEngine | None, scope: StoreScope) -> dict[str, Any] | None:
    """Net sales per bound customer, treated vs holdout, pooled over the visible clerks: the
    difference with a 95% normal interval (Welch) and the incremental sales it implies."""
    if engine is None or not engine.table_exists(attribution.CREDITS):
        return None
    where = f" AND {scope.sql('b.store_code')}"
    rows = engine.fetch_rows(
        f"""
        WITH per AS (
          SELECT b.customer_id, b.holdout, coalesce(sum(c.amount), 0) AS net
          FROM {attribution.BINDINGS} b
          LEFT JOIN {attribution.CREDITS} c
            ON c.customer_id = b.customer_id AND c.binding_id = b.binding_id
          WHERE b.ended_at IS NULL{where}
          GROUP BY b.customer_id, b.holdout
        )
        SELECT holdout, count(*) AS n, avg(net) AS mean, coalesce(var_samp(net), 0) AS var
        FROM per GROUP BY holdout
        """
    )
    arms = {bool(r["holdout"]): r for r in rows}
    if True not in arms or False not in arms or min(arms[True]["n"], arms[False]["n"]) < 2:
        return None
    t, h = arms[False], arms[True]
    diff = float(t["mean"]) - float(h["mean"])
    se = math.sqrt(float(t["var"]) / t["n"] + float(h["var"]) / h["n"])
    return {
        "treated": int(t["n"]),
        "held_out": int(h["n"]),
        "per_treated": float(t["mean"]),
        "per_holdout": float(h["mean"]),
        "diff": diff,
        "ci_low": diff - 1.96 * se,
        "ci_high": diff + 1.96 * se,
        "incremental": diff * int(t["n"]),
    }


CARDS = "ops_guide_customer_cards"
LAST_ORDERS = 3  # purchases shown per customer on the workbench
TAG_TYPES = {
    "lifecycle_stage": "VARCHAR",
    "value_tier": "VARCHAR",
    "top_category": "VARCHAR",
    "rfm_group": "VARCHAR",
    "days_since_last_order": "BIGINT",
    "sales_365d": "DOUBLE",
}
TAG_COLUMNS = tuple(TAG_TYPES)
ORDER_FIELDS = ("order_id", "ordered_at", "amount", "channel_code", "status")


def _cards_sql(with_tags: bool) -> str:
    """The cards query (portable SQL: the last purchases pivoted into columns o1_…, o2_…)."""
    pivot = ",\n         ".join(
        f"max(CASE WHEN rn = {i} THEN {f} END) AS o{i}_{f}"
        for i in range(1, LAST_ORDERS + 1)
        for f in ORDER_FIELDS
    )
    orders = ", ".join(f"l.o{i}_{f}" for i in range(1, LAST_ORDERS + 1) for f in ORDER_FIELDS)
    if with_tags:
        tags = ", ".join(f"t.{c}" for c in TAG_COLUMNS)
        source = "customer_tags t FULL JOIN recent l ON l.customer_id = t.customer_id"
        key = "coalesce(t.customer_id, l.customer_id)"
    else:
        tags = ", ".join(f"CAST(NULL AS {t}) AS {c}" for c, t in TAG_TYPES.items())
        source, key = "recent l", "l.customer_id"
    return f"""
WITH ranked AS (
  SELECT customer_id, order_id, ordered_at, CAST(paid_amount AS DOUBLE) AS amount, channel_code,
         status,
         row_number() OVER (PARTITION BY customer_id ORDER BY ordered_at DESC, order_id) AS rn
  FROM orders
  WHERE customer_id IS NOT NULL AND status IN ('paid', 'returned')
),
recent AS (
  SELECT customer_id,
         {pivot}
  FROM ranked WHERE rn <= {LAST_ORDERS} GROUP BY customer_id
)
SELECT {key} AS customer_id, {tags}, {orders}
FROM {source}"""


def build_cards(engine: AnalyticsEngine) -> int:
    """``ops_guide_customer_cards``: one row per customer with their tags and their last
    purchases (paid or returned), indexed by customer, so the workbench reads the 50 rows it
    shows instead of ranking every order of the snapshot (at scale 1, 880k orders: 66 ms of
    CPU per page before). Needs ``orders``; tags are empty without ``customer_tags``."""
    engine.materialize(CARDS, _cards_sql(engine.table_exists("customer_tags")))
    engine.index(CARDS, "customer_id")
    return int(engine.scalar(f"SELECT count(*) FROM {CARDS}"))


def customer_cards(
    engine: AnalyticsEngine | None, customer_ids: list[str]
) -> dict[str, dict[str, Any]]:
    """Tags and last purchases of a clerk's customers (from the published snapshot's cards;
    a snapshot published before the cards existed is read the slow way)."""
    if engine is None or not customer_ids:
        return {}
    if not engine.table_exists(CARDS):
        return _cards_from_orders(engine, customer_ids)
    out: dict[str, dict[str, Any]] = {c: {"tags": {}, "orders": []} for c in customer_ids}
    ids = in_list("customer_id", customer_ids)
    for r in engine.fetch_rows(f"SELECT * FROM {CARDS} WHERE {ids}"):
        card = out[r["customer_id"]]
        if card["orders"] or card["tags"]:  # one card per customer
            continue
        if any(r[c] is not None for c in TAG_COLUMNS):
            card["tags"] = {"customer_id": r["customer_id"], **{c: r[c] for c in TAG_COLUMNS}}
        for i in range(1, LAST_ORDERS + 1):
            if r[f"o{i}_order_id"] is not None:
                order = {f: r[f"o{i}_{f}"] for f in ORDER_FIELDS}
                card["orders"].append({"customer_id": r["customer_id"], **order})
    return out


def _cards_from_orders(
    engine: AnalyticsEngine, customer_ids: list[str], *, last: int = LAST_ORDERS
) -> dict[str, dict[str, Any]]:
    ids = in_list("customer_id", customer_ids)
    out: dict[str, dict[str, Any]] = {c: {"tags": {}, "orders": []} for c in customer_ids}
    if engine.table_exists("customer_tags"):
        for r in engine.fetch_rows(
            "SELECT customer_id, lifecycle_stage, value_tier, top_category, rfm_group,"
            " days_since_last_order, sales_365d FROM customer_tags"
            f" WHERE {ids}"
        ):
            out[r["customer_id"]]["tags"] = r
    if engine.table_exists("orders"):
        for r in engine.fetch_rows(
            "SELECT customer_id, order_id, ordered_at, CAST(paid_amount AS DOUBLE) AS amount,"
            " channel_code, status FROM orders"
            f" WHERE {ids} AND status IN ('paid', 'returned')"
            f" QUALIFY row_number() OVER (PARTITION BY customer_id ORDER BY ordered_at DESC,"
            f" order_id) <= {int(last)} ORDER BY customer_id, ordered_at DESC, order_id"
        ):
            out[r["customer_id"]]["orders"].append(r)
    return out
