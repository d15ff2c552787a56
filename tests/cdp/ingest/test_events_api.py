# ruff: noqa: E501
"""The Segment/RudderStack-compatible tracking API: auth by write key, gzip, idempotency on
messageId, quarantine of invalid events, stats, and the drain into std_ tables."""

from __future__ import annotations

import base64
import gzip
import json
from typing import Any

from sqlalchemy import Engine, select

from omniretail.cdp.ingest import events
from omniretail.cdp.ingest.models import EventInbox, QuarantineRecord
from omniretail.platform.auth import service as auth
from omniretail.platform.db import session_scope
from tests.cdp.quality.helpers import standardize


def _key(name: str = "app_sdk", scopes: list[str] | None = None) -> dict[str, str]:
    with session_scope() as s:
        _, plain = auth.create_api_key(s, name=name, scopes=scopes or ["events"])
    return {"Authorization": "Basic " + base64.b64encode(f"{plain}:".encode()).decode()}


BATCH = {
    "batch": [
        {"type": "identify", "messageId": "m1", "userId": "A1",
         "traits": {"phone": "138 1234 5678", "name": "張三", "email": "ZS@Example.com"},
         "timestamp": "2025-03-01T10:00:00+08:00"},
        {"type": "track", "messageId": "m2", "userId": "A1", "anonymousId": "d1",
         "event": "Product Viewed", "properties": {"sku": "100001"},
         "timestamp": "2025-03-01T10:01:00+08:00"},
        {"type": "page", "messageId": "m3", "anonymousId": "d2", "name": "home",
         "timestamp": "2025-03-01T02:02:00Z"},
        {"type": "alias", "messageId": "m4", "previousId": "d2", "userId": "A1"},
        {"type": "track", "messageId": "m5", "userId": "A1"},  # no event name: quarantined
        {"type": "screen", "messageId": "m6", "userId": "A1", "name": "cart"},
        {"type": "group", "messageId": "m7", "userId": "A1", "groupId": "g1"},
    ],
    "context": {"channel": "app"},
}  # fmt: skip


def test_batch_gzip_idempotent_and_quarantine(client: Any) -> None:
    headers = {**_key(), "Content-Encoding": "gzip", "Content-Type": "application/json"}
    body = gzip.compress(json.dumps(BATCH).encode())
    r = client.post("/v1/batch", content=body, headers=headers)
    assert r.status_code == 200, r.text
    assert r.json() == {
        "success": True,
        "received": 7,
        "accepted": 6,
        "duplicates": 0,
        "quarantined": 1,
    }
    # the SDK retries the same batch: stored once
    r = client.post("/v1/batch", content=body, headers=headers)
    assert r.json()["duplicates"] == 6
    with session_scope() as s:
        assert s.query(EventInbox).count() == 6
        q = s.scalars(select(QuarantineRecord)).all()
        assert {(x.reason, x.row, x.file) for x in q} == {
            ("track_needs_event_name", 5, "/v1/batch")
        }
        assert q[0].raw["messageId"] == "m5"
    from typer.testing import CliRunner

    from omniretail.cli.main import app

    out = CliRunner().invoke(app, ["ingest", "stats", "--json"])
    assert out.exit_code == 0, out.output
    cli_stats = json.loads(out.output)
    assert (cli_stats[0]["received"], cli_stats[0]["duplicates"]) == (14, 6)
    stats = client.get("/api/v1/ingest/stats").json()
    assert stats[0] | {"updated_at": None} == {
        "source": "app_sdk", "received": 14, "accepted": 6, "duplicates": 6,
        "quarantined": 2, "pending": 6, "updated_at": None,
    }  # fmt: skip


def test_single_event_endpoints(client: Any) -> None:
    h = _key()
    for path, body in [
        ("/v1/identify", {"userId": "u1", "traits": {"email": "a@b.cn"}, "messageId": "i1"}),
        ("/v1/track", {"userId": "u1", "event": "Coupon Claimed", "messageId": "t1"}),
        ("/v1/page", {"anonymousId": "d9", "messageId": "p1"}),
        ("/v1/screen", {"anonymousId": "d9", "messageId": "s1"}),
        ("/v1/alias", {"previousId": "d9", "userId": "u1", "messageId": "a1"}),
        ("/v1/group", {"userId": "u1", "groupId": "g", "messageId": "g1"}),
    ]:
        r = client.post(path, json=body, headers=h)
        assert r.status_code == 200, (path, r.text)
        assert r.json()["accepted"] == 1
    with session_scope() as s:
        types = sorted(t for (t,) in s.execute(select(EventInbox.type)))
    assert types == ["alias", "group", "identify", "page", "screen", "track"]


REJECTED = [
    ({}, {"userId": "u", "event": "x"}, 401, "write key"),
    (
        {"Authorization": "Basic " + base64.b64encode(b"or_nope_nope:").decode()},
        {"userId": "u", "event": "x"},
        401,
        "invalid",
    ),
    (None, b"not json", 422, "not JSON"),
    (None, b"\x1f\x8bbroken", 422, "decompress"),
    (None, {"batch": "nope"}, 422, "'batch' list"),
    ("reader", {"userId": "u", "event": "x"}, 403, "'events' scope"),
]


def test_rejected_requests_are_problem_details(client: Any) -> None:
    good = _key()
    reader = _key("reader", ["read"])
    for headers, body, status, fragment in REJECTED:
        h = good if headers is None else (reader if headers == "reader" else headers)
        path = "/v1/batch" if isinstance(body, bytes) or "batch" in body else "/v1/track"
        if isinstance(body, bytes):
            r = client.post(path, content=body, headers=h)
        else:
            r = client.post(path, json=body, headers=h)
        assert r.status_code == status, (body, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
        assert fragment in r.json()["detail"]
    # Segment also allows the write key in the body
    with session_scope() as s:
        _, plain = auth.create_api_key(s, name="web", scopes=["events"])
    r = client.post("/v1/track", json={"writeKey": plain, "userId": "u", "event": "x"})
    assert r.status_code == 200
    assert r.json()["accepted"] == 1


def test_drain_to_std_tables(client: Any) -> None:
    client.post("/v1/batch", json=BATCH, headers=_key())
    from omniretail.cdp.ingest.pipeline import drain_inbox
    from omniretail.platform.config import get_settings
    from omniretail.platform.engine import open_engine
    from omniretail.platform.pipeline import PipelineContext

    eng = open_engine()
    try:
        out = drain_inbox(PipelineContext(engine=eng, settings=get_settings()))
        assert out["drained"] == {"app_sdk": 6}
        assert drain_inbox(PipelineContext(engine=eng, settings=get_settings()))["events"] == 0
    finally:
        eng.close()
    eng, _ = standardize()
    try:
        ev = eng.fetch_rows(
            "SELECT event_id, record_key, event_type, occurred_at, sku FROM std_events ORDER BY 1"
        )
        ids = {r["record_key"]: r for r in eng.fetch_rows("SELECT * FROM std_identity_records")}
        links = eng.fetch_rows(
            "SELECT left_key, right_key, link_type FROM std_identity_links ORDER BY 1, 2"
        )
    finally:
        eng.close()
    assert [(e["event_id"], e["record_key"], e["event_type"]) for e in ev] == [
        ("m2", "app_sdk:A1", "product_view"),
        ("m3", "app_sdk:anon:d2", "page_view"),
        ("m6", "app_sdk:A1", "screen_view"),
    ]
    assert str(ev[1]["occurred_at"]) == "2025-03-01 10:02:00"  # UTC → China local time
    assert ev[0]["sku"] == "100001"
    assert ids["app_sdk:A1"]["phone"] == "+8613812345678"
    assert ids["app_sdk:A1"]["name"] == "张三"
    assert {
        "left_key": "app_sdk:anon:d1",
        "right_key": "app_sdk:A1",
        "link_type": "same_event",
    } in links
    assert {"left_key": "app_sdk:anon:d2", "right_key": "app_sdk:A1", "link_type": "alias"} in links


def test_fixed_api_event_is_reprocessed_into_the_inbox(client: Any) -> None:
    from omniretail.cdp.quality import service

    client.post("/v1/batch", json=BATCH, headers=_key())
    with session_scope() as s:
        rec = s.scalars(select(QuarantineRecord)).one()
        service.fix_record(s, record_id=rec.id, set_values={"event": "Product Added"})
    with session_scope() as s:
        assert service.reprocess_events(s) == {"reprocessed": 1, "still_rejected": 0}
    with session_scope() as s:
        assert s.scalars(select(EventInbox).where(EventInbox.message_id == "m5")).one()
        assert s.scalars(select(QuarantineRecord)).one().status == "reprocessed"


def test_inbox_is_idempotent_on_both_stores(store_engine: Engine) -> None:
    """Directly against SQLite and PostgreSQL: duplicates within and across requests."""
    evs = [
        {"type": "track", "userId": "u", "event": "x", "messageId": f"m{i % 3}"} for i in range(5)
    ]
    with store_engine.begin() as conn:
        first = events.store_events(
            conn, source="s", events=[dict(e) for e in evs], endpoint="/v1/batch"
        )
    with store_engine.begin() as conn:
        second = events.store_events(
            conn, source="s", events=[dict(e) for e in evs], endpoint="/v1/batch"
        )
    assert (first.accepted, first.duplicates) == (3, 2)
    assert (second.accepted, second.duplicates) == (0, 5)
    with store_engine.connect() as conn:
        assert conn.execute(select(EventInbox.message_id)).scalars().all().__len__() == 3
        row = conn.execute(select(events.EventSourceStats)).one()
    assert (row.received, row.accepted, row.duplicates) == (10, 3, 7)
