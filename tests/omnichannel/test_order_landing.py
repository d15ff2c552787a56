"""Operational orders reach analytics through the landing path (step ``ingest_orders``): lines
once, later changes as headers whose latest values win; a drain with nothing new lands nothing;
the customer's order history in analytics has them (SQLite and PostgreSQL stores)."""

from __future__ import annotations

from sqlalchemy import Engine

from omniretail.cdp.quality.models import QualityStats
from omniretail.omnichannel.order import service
from omniretail.omnichannel.order.schemas import ReturnIn
from omniretail.platform import config, pipeline
from omniretail.platform.db import session_scope
from omniretail.platform.engine import open_engine
from tests.omnichannel.factories import order_in, retail_world


def _run(*steps: str) -> tuple[dict[str, dict[str, object]], list[dict[str, object]], int]:
    settings = config.get_settings()
    engine = open_engine(settings=settings)
    try:
        ctx = pipeline.PipelineContext(engine=engine, settings=settings, full_refresh=True)
        pipeline.run(ctx, only=list(steps))
        for r in ctx.results.values():
            r.pop("seconds", None)
        orders = engine.fetch_rows(
            "SELECT order_id, customer_id, channel_code, status, CAST(paid_amount AS VARCHAR) AS "
            "paid, CAST(ordered_at AS VARCHAR) AS at FROM orders "
            "WHERE source = 'omniretail_orders' ORDER BY order_id"
        )
        lines = int(
            engine.scalar("SELECT count(*) FROM order_lines WHERE source = 'omniretail_orders'")
        )
        return ctx.results, orders, lines
    finally:
        engine.close()


def test_orders_land_like_any_export(store_engine: Engine) -> None:
    with session_scope() as s:
        retail_world(s)
        a = service.create_order(
            s,
            data=order_in(
                external_id="A",
                ordered_at="2025-03-01T02:00:00+00:00",
                tenders=[{"method": "wechat", "amount_fen": 21970}],
            ),
        )
        service.create_order(
            s,
            data=order_in(
                channel_code="miniprogram",
                external_id="B",
                buyer={"unionid": "u-1"},
                customer_id=None,
                lines=[{"sku": "A3", "quantity": 1}],
                fulfillment="pickup",
            ),
        )
    steps = ("ingest_orders", "standardize", "identity", "unify")
    results, orders, lines = _run(*steps)
    assert results["ingest_orders"] == {"orders": 2, "rows": 3, "lines": 3}
    assert [(o["order_id"], o["channel_code"], o["status"], o["paid"]) for o in orders] == [
        ("miniprogram:b", "miniprogram", "created", "10.00"),
        ("pos:a", "pos", "paid", "219.70"),
    ]
    assert orders[1]["at"] == "2025-03-01 10:00:00"  # the chain's wall clock (UTC+8)
    assert all(o["customer_id"] for o in orders)  # resolved through the buyers' identifiers
    assert lines == 3
    with session_scope() as s:
        stats = s.get(QualityStats, "omniretail_orders")
        assert stats is not None
        assert "unknown_channel" not in (stats.fixes_by_rule or {})  # declared by the orders

    with session_scope() as s:
        service.fulfil_order(s, order_id=a.id)
        service.return_order(
            s,
            order_id=a.id,
            data=ReturnIn(lines=[{"line_no": 2, "quantity": 1}], idempotency_key="r1"),  # type: ignore[list-item]
        )
    results, orders, lines = _run(*steps)
    assert results["ingest_orders"] == {"orders": 1, "rows": 1, "lines": 0}
    by_id = {o["order_id"]: o for o in orders}
    assert (by_id["pos:a"]["status"], by_id["pos:a"]["paid"]) == ("paid", "186.40")
    assert lines == 3  # lines land once

    results, _, _ = _run("ingest_orders")
    assert results["ingest_orders"] == {"orders": 0, "rows": 0, "lines": 0}
