"""Operational orders carry the live-session evidence: the order API takes a ``live_code``
(口令 / 专属码) and a ``live_link`` (the tracked link), the drain lands them, standardize keeps
them on the unified orders, and the attribution credits the session they name — no event
needed; a channel export's ``coupon_batch`` column does the same; a replay with another code is
a 409 naming the field."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from omniretail.marketing.live import service as live_service
from omniretail.platform import config, pipeline
from omniretail.platform.db import session_scope
from omniretail.platform.engine import open_engine
from tests.omnichannel.factories import retail_world

NOW = datetime.now(UTC).replace(microsecond=0)
DY = {
    "code": "DY-7", "platform": "douyin", "account": "良品官方旗舰店", "host": "小雅",
    "title": "坚果专场", "started_at": (NOW - timedelta(hours=3)).isoformat(),
    "ended_at": (NOW - timedelta(hours=1)).isoformat(), "codes": ["DY777"],
    "link_params": ["live_id=DY-7"], "coupon_batches": ["LIVE-DY7"],
}  # fmt: skip
KS = {**DY, "code": "KS-7", "platform": "kuaishou", "codes": ["KS777"],
      "link_params": ["live_id=KS-7"], "coupon_batches": ["LIVE-KS7"]}  # fmt: skip


def _order(external_id: str, **kw: Any) -> dict[str, Any]:
    return {
        "channel_code": "miniprogram",
        "external_id": external_id,
        "origin": "miniprogram",
        "fulfillment": "express",
        "buyer": {"phone": "+8613800000009"},
        "ordered_at": (NOW - timedelta(hours=2)).isoformat(),
        "lines": [{"sku": "A3", "quantity": 1}],
        "pricing": "list_price",
        "tenders": [{"method": "wechat", "amount_fen": 1000}],
        **kw,
    }


def test_order_api_live_fields_reach_attribution(client: Any) -> None:
    with session_scope() as s:
        retail_world(s)
    for sess in (DY, KS):
        assert client.post("/api/v1/live/sessions", json=sess).status_code == 201
    r = client.post("/api/v1/orders", json=_order("L-1", live_code=" DY777 "))
    assert r.status_code == 201, r.text
    assert (r.json()["live_code"], r.json()["live_link"]) == ("DY777", None)
    link = "https://m.shop.example/item?utm_source=ks&live_id=KS-7"
    r = client.post("/api/v1/orders", json=_order("L-2", live_link=link))
    assert r.status_code == 201, r.text
    assert r.json()["live_link"] == link
    assert client.post("/api/v1/orders", json=_order("L-3")).status_code == 201  # no evidence
    # the same order again with another code: a conflict naming the field, nothing changed
    r = client.post("/api/v1/orders", json=_order("L-1", live_code="KS777"))
    assert r.status_code == 409, r.text
    assert "live_code" in r.text

    settings = config.get_settings()
    engine = open_engine(settings=settings)
    try:
        ctx = pipeline.PipelineContext(engine=engine, settings=settings, full_refresh=True)
        pipeline.run(ctx, only=["ingest_orders", "standardize", "identity", "unify"])
        carried = {
            r["order_id"]: (r["live_code"], r["live_link"])
            for r in engine.fetch_rows(
                "SELECT order_id, live_code, live_link FROM orders "
                "WHERE source = 'omniretail_orders'"
            )
        }
        assert carried == {
            "miniprogram:l-1": ("DY777", None),
            "miniprogram:l-2": (None, link),
            "miniprogram:l-3": (None, None),
        }
        # a platform's export naming the coupon batch of KS (no coupon of ours involved)
        engine.execute(
            "INSERT INTO orders (source, order_id, store_code, ordered_at, status, paid_amount, "
            "coupon_batch) SELECT 'douyin_shop', 'dy:9', 'S1', max(ordered_at), 'paid', 55.5, "
            "'LIVE-KS7' FROM orders"
        )
        with session_scope() as s:
            figs = {f["session_id"]: f for f in live_service.session_figures(s, engine)}
    finally:
        engine.close()
    assert (figs["DY-7"]["orders"], figs["DY-7"]["gmv_fen"]) == (1, 1000)
    assert (figs["KS-7"]["orders"], figs["KS-7"]["gmv_fen"]) == (2, 1000 + 5550)
    assert (figs["KS-7"]["online_orders"], figs["KS-7"]["store_orders"]) == (1, 1)
