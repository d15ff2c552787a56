"""Visit events: identified visits per store-day, face-vendor matches accepted only for members
with explicit face-recognition consent at the time of the match, and biometric data refused by
the events API (never stored, not even in the quarantine)."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

from sqlalchemy import select

from omniretail.cdp.ingest.models import EventInbox, QuarantineRecord
from omniretail.platform import pipeline
from omniretail.platform.auth import service as auth
from omniretail.platform.config import Settings
from omniretail.platform.db import session_scope
from omniretail.platform.engine.duckdb import DuckDBEngine

# (customer, store, time, event_type)
EVENTS = [
    ("C1", None, "2026-11-01 09:00", "face_recognition_consent_granted"),
    ("C1", "S101", "2026-11-02 10:05", "face_matched"),  # consented: counted
    ("C2", "S101", "2026-11-02 10:06", "face_matched"),  # never consented: refused
    ("C3", None, "2026-11-01 09:00", "face_recognition_consent_granted"),
    ("C3", None, "2026-11-02 08:00", "face_recognition_consent_withdrawn"),
    ("C3", "S101", "2026-11-02 11:00", "face_matched"),  # withdrawn before: refused
    ("C4", "S101", "2026-11-02 11:30", "face_matched"),  # consent only afterwards: refused
    ("C4", None, "2026-11-02 12:00", "face_recognition_consent_granted"),
    ("C4", "S101", "2026-11-02 12:30", "face_matched"),  # after the grant: counted
    ("C5", "S101", "2026-11-02 12:00", "store_checked_in"),
    ("C5", "S101", "2026-11-02 12:20", "self_checkout_started"),
    ("C6", "S101", "2026-11-02 13:00", "wifi_presence_detected"),
    ("C1", "S101", "2026-11-02 13:00", "product_view"),  # not a visit
]


def _engine() -> DuckDBEngine:
    e = DuckDBEngine()
    ev = ", ".join(
        f"('{c}', {repr(s) if s else 'NULL'}, TIMESTAMP '{t}', '{k}')" for c, s, t, k in EVENTS
    )
    e.materialize(
        "events",
        f"SELECT * FROM (VALUES {ev}) AS t(customer_id, store_code, occurred_at, event_type)",
    )
    counts = ", ".join(
        f"('S101', 'D1', TIMESTAMP '2026-11-02 {h}:00:00', {n}, {n}, NULL)"
        for h, n in ((10, 4), (11, 3), (12, 2), (13, 1))
    )
    e.materialize(
        "std_traffic_counts",
        f"SELECT * FROM (VALUES {counts}) AS t(store_code, door_code, bucket_start, in_count,"
        " out_count, passers_by)",
    )
    e.materialize("dim_traffic_door", "SELECT 'S101' AS store_code, 'D1' AS door_code, TRUE AS x")
    e.materialize("dim_store", "SELECT 'S101' AS store_code, '华中' AS region, 80.0 AS area_m2")
    e.materialize(
        "ins_order_facts",
        "SELECT 'S101' AS store_code, DATE '2026-11-02' AS order_day, 12 AS order_hour,"
        " CAST(88.00 AS DECIMAL(12,2)) AS paid_amount, 1 AS units, 'C5' AS customer_id,"
        " FALSE AS online, 'paid' AS status",
    )
    return e


def test_face_matches_need_consent_at_the_time(tmp_path: Path) -> None:
    e = _engine()
    ctx = pipeline.PipelineContext(
        engine=e, settings=Settings(home=tmp_path, demo=True), full_refresh=True
    )
    pipeline.run(ctx, only=["insight.traffic"])
    out = ctx.results["insight.traffic"]
    assert out["face_matches_without_consent"] == 3  # C2, C3 (withdrawn), C4 (before grant)
    visits = {
        r["kind"]: (r["events"], r["members"])
        for r in e.fetch_rows("SELECT * FROM trf_visits WHERE store_code = 'S101'")
    }
    assert visits == {
        "face_matched": (2, 2),  # C1 and C4's second match
        "store_checked_in": (1, 1),
        "self_checkout_started": (1, 1),
        "wifi_presence_detected": (1, 1),
    }
    day = e.fetch_rows("SELECT * FROM trf_kpi_daily")[0]
    # identified: C1, C4, C5, C6 of 10 visitors
    assert (day["visitors"], day["identified"]) == (10, 4)
    assert day["identified_share"] == 0.4
    e.close()


def _key() -> dict[str, str]:
    with session_scope() as s:
        _, plain = auth.create_api_key(s, name="face_vendor", scopes=["events"])
    return {"Authorization": "Basic " + base64.b64encode(f"{plain}:".encode()).decode()}


def test_biometric_data_is_refused_and_never_stored(client: Any) -> None:
    secret = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAAB"  # a (fake) base64 image
    batch = {
        "batch": [
            {"type": "track", "messageId": "f1", "userId": "C1", "event": "Face Matched",
             "properties": {"store_code": "S101", "score": 0.93, "image": secret}},
            {"type": "track", "messageId": "f2", "userId": "C1", "event": "Face Matched",
             "properties": {"store_code": "S101", "vendor": {"face_template": [0.1, 0.2]}}},
            {"type": "track", "messageId": "f3", "userId": "C1", "event": "Face Matched",
             "properties": {"store_code": "S101", "score": 0.91}},
            # "template" on another event is a message template, not biometric data
            {"type": "track", "messageId": "m1", "userId": "C1", "event": "Message Clicked",
             "properties": {"template": "pickup_ready"}},
        ]
    }  # fmt: skip
    r = client.post("/v1/batch", json=batch, headers=_key())
    assert r.status_code == 200
    with session_scope() as s:
        stored = list(s.scalars(select(EventInbox.message_id).order_by(EventInbox.message_id)))
        q = list(s.scalars(select(QuarantineRecord).order_by(QuarantineRecord.row)))
        payloads = " ".join(s.scalars(select(EventInbox.payload)))
    assert stored == ["f3", "m1"]
    assert [x.reason for x in q] == ["biometric_data_refused", "biometric_data_refused"]
    dumped = json.dumps([x.raw for x in q])
    assert secret not in dumped
    assert "0.1" not in dumped
    assert q[0].raw["properties"]["score"] == 0.93  # the rest of the event is kept for review
    assert secret not in payloads
