"""Finding 11 of the security review: the OpenAPI document tells the truth — errors are
documented as application/problem+json with their status codes, and loyalty responses carry
aware datetimes."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from omniretail.web.app import create_app


def test_errors_are_documented_as_problem_json(home: Any) -> None:
    spec = create_app().openapi()
    assert "Problem" in spec["components"]["schemas"]
    wrong, missing = [], []
    for path, ops in spec["paths"].items():
        if not path.startswith("/api/v1/") or path == "/api/v1/health":
            continue
        for method, op in ops.items():
            responses = op["responses"]
            for code, resp in responses.items():
                if code.startswith(("4", "5")) and "application/json" in resp.get("content", {}):
                    wrong.append((method, path, code))
            if path != "/api/v1/auth/login" and "401" not in responses:
                missing.append((method, path, "401"))
            if (op.get("parameters") or op.get("requestBody")) and "422" not in responses:
                missing.append((method, path, "422"))
    assert not wrong, wrong[:10]
    assert not missing, missing[:10]
    login = spec["paths"]["/api/v1/auth/login"]["post"]["responses"]
    assert "429" in login
    problem = login["401"]["content"]["application/problem+json"]["schema"]
    assert problem == {"$ref": "#/components/schemas/Problem"}


def test_loyalty_times_are_aware(client: Any) -> None:
    r = client.post(
        "/api/v1/loyalty/earn",
        json={"customer_id": "C1", "source": "pos", "order_id": "O1", "amount": "10",
              "occurred_at": "2026-03-01T10:00:00+08:00"},
    )  # fmt: skip
    assert r.status_code == 200, r.text
    entries = client.get("/api/v1/loyalty/accounts/C1/entries").json()
    for e in entries:
        for key in ("occurred_at", "recorded_at", "expires_at"):
            if e[key] is not None:
                assert datetime.fromisoformat(e[key]).tzinfo is not None, (key, e[key])


def test_not_computed_is_documented_where_it_is_answered(client: Any) -> None:
    """Nothing is published on a fresh instance: every read that answers 503 ("not computed
    yet") must say so in the document (its path parameters filled with a plain value)."""
    spec = client.app.openapi()
    answered, undocumented = [], []
    for path, ops in spec["paths"].items():
        if "get" not in ops or not path.startswith("/api/v1/"):
            continue
        url = re.sub(r"\{[^}]+\}", "1", path)
        r = client.get(url)
        assert r.status_code < 500 or r.status_code == 503, (url, r.status_code, r.text[:200])
        if r.status_code == 503:
            answered.append(path)
            if "503" not in ops["get"]["responses"]:
                undocumented.append(path)
    assert "/api/v1/kpis/summary" in answered  # the check sees the snapshot readers
    assert not undocumented, undocumented


def test_live_figures_times_are_aware(client: Any) -> None:
    r = client.post(
        "/api/v1/live/sessions",
        json={"code": "DY-1", "platform": "douyin", "account": "旗舰店", "title": "双12",
              "started_at": "2026-12-01T20:00:00+08:00", "ended_at": "2026-12-01T22:00:00+08:00"},
    )  # fmt: skip
    assert r.status_code == 201, r.text
    for path in ("/api/v1/live/figures", "/api/v1/live/sessions"):
        [row] = client.get(path).json()
        for key in ("started_at", "ended_at"):
            assert datetime.fromisoformat(row[key]).tzinfo is not None, (path, key, row[key])
        assert datetime.fromisoformat(row["started_at"]) == datetime.fromisoformat(
            "2026-12-01T20:00:00+08:00"
        )
