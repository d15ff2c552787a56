"""Shopping guides in the demo world, built in the operational store after the pipeline:

- relationships: each customer is bound to the clerk who first served them (the world's orders
  name the 导购 who served or shared the link: source ``purchase``), under the chain's default
  first-touch rule and a 10% holdout;
- transfers: some customers handed to a colleague in the same store (done after the 24 h
  takeover), some still pending, one refused by the customer;
- three weeks of tasks (from the snapshot's tags) worked by the clerks, ending a week before
  the world's last order — most sent (copied to WeCom), some refused, some left open — and
  today's open tasks.

Everything goes through the guide services, at fixed seeds; a rerun adds nothing."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.orm import Session

from omniretail.omnichannel.staff import service as staff_service
from omniretail.operations.guide import service, tasks
from omniretail.operations.guide.errors import GuideRefused
from omniretail.operations.guide.models import GuideTask
from omniretail.operations.guide.schemas import PolicyRead
from omniretail.platform.db import utcnow
from omniretail.platform.engine.base import AnalyticsEngine
from omniretail.platform.timezone import chain_now, from_wall_clock

HISTORY_DAYS = 21


def build(
    session: Session, engine: AnalyticsEngine, *, seed: int = 42, now: datetime | None = None
) -> dict[str, Any]:
    rng = random.Random(seed)
    now = now or utcnow()
    if service.bound_counts(session):
        return {}
    clerks = {s.staff_id: s for s in staff_service.list_staff(session)
              if s.role in service.GUIDE_ROLES}  # fmt: skip
    if not clerks or not engine.table_exists("orders"):
        return {}
    service.set_policy(session, policy=PolicyRead(daily_task_cap=8))
    first = engine.fetch_rows(
        "SELECT customer_id, arg_min(staff_code, ordered_at) AS staff_code,"
        " min(ordered_at) AS at FROM orders"
        " WHERE customer_id IS NOT NULL AND staff_code IS NOT NULL GROUP BY customer_id"
        " ORDER BY customer_id"
    )
    rows = [(r["customer_id"], r["staff_code"], from_wall_clock(r["at"]))
            for r in first if r["staff_code"] in clerks]  # fmt: skip
    bound = service.import_bindings(session, rows=rows, source="purchase")
    # transfers within a store
    by_store: dict[str | None, list[str]] = defaultdict(list)
    for code, s in clerks.items():
        by_store[s.store_code].append(code)
    moved = pending = refused = 0
    sample = rng.sample(rows, min(len(rows), max(3, len(rows) // 50)))
    for i, (cid, staff, _) in enumerate(sample):
        mates = [c for c in by_store[clerks[staff].store_code] if c != staff]
        if not mates:
            continue
        at = now - timedelta(hours=2 if i % 10 == 0 else 72)
        try:
            t = service.request_transfer(session, customer_id=cid, to_staff=rng.choice(mates),
                                         reason="reassign", actor="demo", at=at)  # fmt: skip
        except GuideRefused:
            continue
        if i % 25 == 1:
            service.refuse_transfer(session, transfer_id=t.id, at=at + timedelta(hours=3))
            refused += 1
        elif at + timedelta(hours=24) > now:
            pending += 1
        else:
            moved += 1
    service.complete_due_transfers(session, now=now)
    # three weeks of tasks worked by the clerks, ending a week before the world's last order
    # (so a week of outcomes follows every contact), then today's open list
    last = engine.fetch_rows("SELECT max(ordered_at) AS t FROM orders")[0]["t"]
    if last is None or not engine.table_exists("customer_tags"):
        session.flush()
        return {"bound": bound, "transferred": moved, "tasks": 0}
    end = last.date()
    days = [end - timedelta(days=back) for back in range(HISTORY_DAYS + 7, 7, -1)]
    made = 0
    # the bindings do not change while the days' tasks are made and worked: read them once
    bindings = tasks.bindings_table(session)
    table = cast(Table, GuideTask.__table__)
    worked = (
        update(table)
        .where(table.c.id == bindparam("tid"))
        .values(status=bindparam("status"), channel=bindparam("channel"),
                closed_at=bindparam("closed_at"))
    )  # fmt: skip
    for day in [*days, chain_now().date()]:
        made += tasks.generate_tasks(session, engine, day=day, now=now, bindings=bindings).tasks
        if day not in days:
            break
        params = []
        for tid in list(session.scalars(select(GuideTask.id).where(GuideTask.day == day))):
            u = rng.random()
            status = "sent" if u < 0.7 else "refused" if u < 0.8 else None
            if status is None:
                continue
            local = datetime(day.year, day.month, day.day, 10) + timedelta(
                minutes=rng.randint(0, 600)
            )
            params.append({"tid": tid, "status": status,
                           "channel": "copy" if status == "sent" else None,
                           "closed_at": from_wall_clock(local)})  # fmt: skip
        if params:  # one statement for the day's worked tasks, not one per task
            session.connection().execute(worked, params)
    session.flush()
    return {"bound": bound, "transferred": moved, "pending_transfers": pending,
            "refused_transfers": refused, "tasks": made}  # fmt: skip
