"""Finding 6 of the security review: every numeric and date input has domain bounds in its
schema; out-of-range input is a 422 problem naming the field, never a 500 and never accepted
(a tier with window_days=2638010576 made every later points earn fail)."""

from __future__ import annotations

from typing import Any

HUGE = 2**64  # beyond any 64-bit id
TIER = {"code": "GOLD", "name": "金卡", "rank": 1}
EARN = {
    "customer_id": "C000000001",
    "source": "pos",
    "order_id": "O1",
    "amount": "10.00",
    "occurred_at": "2026-03-01T10:00:00+08:00",
}

CASES: list[tuple[str, str, dict[str, Any] | None, str]] = [
    ("POST", "/api/v1/loyalty/tiers", TIER | {"window_days": 2638010576}, "window_days"),
    (
        "POST",
        "/api/v1/loyalty/tiers",
        TIER | {"birthday_multiplier": "3.8e301"},
        "birthday_multiplier",
    ),
    ("POST", "/api/v1/loyalty/tiers", TIER | {"earn_multiplier": "1e30"}, "earn_multiplier"),
    ("POST", "/api/v1/loyalty/tiers", TIER | {"rank": HUGE}, "rank"),
    ("POST", "/api/v1/loyalty/tiers", TIER | {"min_points": 2**62}, "min_points"),
    (
        "POST",
        "/api/v1/loyalty/adjust",
        {"customer_id": "C1", "points": 2**62, "ref": "a", "note": "n"},
        "points",
    ),
    (
        "POST",
        "/api/v1/loyalty/redeem",
        {"customer_id": "C1", "points": 2**62, "ref": "r"},
        "points",
    ),
    (
        "POST",
        "/api/v1/loyalty/earn",
        EARN | {"occurred_at": "9999-12-31T23:59:59+00:00"},
        "occurred_at",
    ),
    (
        "POST",
        "/api/v1/loyalty/earn",
        EARN | {"occurred_at": "0001-01-01T00:00:00+00:00"},
        "occurred_at",
    ),
    ("GET", "/api/v1/kpis/cohorts?months=-3", None, "months"),
    ("GET", "/api/v1/kpis/cohorts?months=100000", None, "months"),
    ("GET", "/api/v1/kpis/basket?limit=-1", None, "limit"),
    ("GET", "/api/v1/segments/dormant?limit=-5", None, "limit"),
    ("GET", "/api/v1/quality/quarantine?limit=-1", None, "limit"),
    ("GET", "/api/v1/quality/quarantine?offset=-1", None, "offset"),
    ("GET", f"/api/v1/quality/quarantine/{HUGE}", None, "record_id"),
    ("GET", f"/api/v1/segments/{HUGE}", None, "segment_id"),
    ("POST", "/api/v1/messages/dispatch?limit=-1", None, "limit"),
    ("GET", "/api/v1/overview?days=-1", None, "days"),
    ("GET", "/api/v1/overview?days=100000", None, "days"),
    ("GET", "/api/v1/loyalty/accounts/C1/entries?offset=-1", None, "offset"),
    ("POST", "/api/v1/loyalty/jobs/birthday-coupons?today=9999-12-31", None, "today"),
]


def test_out_of_range_input_is_a_422_naming_the_field(client: Any) -> None:
    wrong = []
    for method, path, body, field in CASES:
        r = client.request(method, path, json=body)
        fields = (
            [e["field"] for e in r.json().get("errors", [])]
            if r.headers["content-type"].startswith("application/problem+json")
            else []
        )
        if r.status_code != 422 or not any(f == field or f.endswith("." + field) for f in fields):
            wrong.append((method, path, field, r.status_code, r.text[:200]))
    assert not wrong, wrong


def test_a_bounded_tier_keeps_earning_working(client: Any) -> None:
    r = client.post("/api/v1/loyalty/tiers", json=TIER | {"window_days": 3650})
    assert r.status_code in (200, 201), r.text
    r = client.post("/api/v1/loyalty/earn", json=EARN)
    assert r.status_code in (200, 201), r.text
