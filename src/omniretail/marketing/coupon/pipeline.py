"""Pipeline step ``marketing.coupons`` (order 310): the coupon service's coupons to analytics.

Coupons issued by omniretail's own coupon service (campaign coupons, coupon-center claims,
pushes) live only in the operational store; orders and claim events reach the analytics engine
through landing. This step copies one row per service coupon into the analytics table
``mkt_coupons`` (replaced on every run, so a rerun never double counts) for the KPIs to count
as issued coupons: ``code``, ``customer_id``, ``template_code``, ``source`` (push, claim,
campaign), ``campaign_id``, ``issued_at``, ``status`` (issued, redeemed, expired, void — a
reversed redemption is no longer ``redeemed``), ``redeemed_at``, ``order_id``. Times are the
chain's local wall-clock times, like every time in the analytics store.

It reads the coupon rows only (no lock, no write): validate and redeem are not touched.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pyarrow as pa
from sqlalchemy import select
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlalchemy.orm import Session

from omniretail.marketing.coupon.models import Coupon, CouponTemplate
from omniretail.platform.db import session_scope
from omniretail.platform.engine.base import AnalyticsEngine
from omniretail.platform.pipeline import PipelineContext, step
from omniretail.platform.timezone import to_wall_clock

TABLE = "mkt_coupons"
CHUNK = 100_000
SCHEMA = pa.schema(
    [
        ("code", pa.string()),
        ("customer_id", pa.string()),
        ("template_code", pa.string()),
        ("source", pa.string()),
        ("campaign_id", pa.string()),
        ("issued_at", pa.timestamp("us")),
        ("status", pa.string()),
        ("redeemed_at", pa.timestamp("us")),
        ("order_id", pa.string()),
    ]
)


def local_time(value: datetime | None) -> datetime | None:
    """An instant of the operational store (UTC; naive on SQLite) as local wall-clock time."""
    return None if value is None else to_wall_clock(value)


def export_coupons(session: Session, engine: AnalyticsEngine) -> int:
    """Write every service coupon to ``mkt_coupons``; returns the number of coupons."""
    stmt = (
        select(
            Coupon.code,
            Coupon.customer_id,
            CouponTemplate.code.label("template_code"),
            Coupon.source,
            Coupon.campaign_id,
            Coupon.issued_at,
            Coupon.status,
            Coupon.redeemed_at,
            Coupon.order_id,
        )
        .join(CouponTemplate, CouponTemplate.id == Coupon.template_id)
        .order_by(Coupon.id)
        .execution_options(yield_per=CHUNK)
    )
    batches: list[pa.RecordBatch] = []
    for part in session.execute(stmt).partitions():
        cols: dict[str, list[Any]] = {name: [] for name in SCHEMA.names}
        for row in part:
            for name in SCHEMA.names:
                value = getattr(row, name)
                cols[name].append(local_time(value) if name.endswith("_at") else value)
        batches.append(pa.RecordBatch.from_pydict(cols, schema=SCHEMA))
    engine.register_arrow(TABLE, pa.Table.from_batches(batches, schema=SCHEMA))
    return sum(b.num_rows for b in batches)


@step("marketing.coupons", order=310)
def coupons_to_analytics(ctx: PipelineContext) -> dict[str, Any]:
    """Copy the coupon service's coupons (issued and redeemed) to ``mkt_coupons`` for the KPIs."""
    try:
        with session_scope() as session:
            n = export_coupons(session, ctx.engine)
    except (OperationalError, ProgrammingError) as exc:  # store not initialised
        return {"skipped": f"operational store not ready ({type(exc).__name__}); run init"}
    return {"coupons": n}
