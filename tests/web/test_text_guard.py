"""Text no database can store (a NUL character, an unpaired UTF-16 surrogate) is refused with a
422 naming the field, in JSON and form bodies, query parameters and the path, instead of failing
deep in a write with a 500 (PostgreSQL refuses NUL in text; nothing encodes a lone surrogate as
UTF-8, so SQLite refuses it too)."""

from __future__ import annotations

from fastapi.testclient import TestClient


def _order(customer: str) -> str:
    return (
        f'{{"customer_id": "{customer}", "channel": "wechat", "body": "hi", '
        '"origin": "campaign", "purpose": "marketing", "idempotency_key": "k1"}'
    )


def test_a_lone_surrogate_in_json_is_a_422_naming_the_field(client: TestClient) -> None:
    r = client.post(
        "/api/v1/messages",
        content=_order("C\\ud800X").encode(),
        headers={"content-type": "application/json"},
    )
    assert r.status_code == 422, r.text
    problem = r.json()
    assert r.headers["content-type"].startswith("application/problem+json")
    assert problem["errors"][0]["field"] == "customer_id"
    assert "NUL" in problem["detail"]


def test_a_nul_in_a_nested_json_value_is_named(client: TestClient) -> None:
    r = client.post(
        "/api/v1/messages",
        content=b'{"customer_id": "C1", "params": {"x": ["ok", "a\\u0000b"]}}',
        headers={"content-type": "application/json"},
    )
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "params.x[1]"


def test_a_nul_in_the_query_or_path_is_refused(client: TestClient) -> None:
    r = client.get("/api/v1/customers", params={"q": "ab\x00c"})
    assert (r.status_code, r.json()["errors"][0]["field"]) == (422, "q")
    assert client.get("/api/v1/customers/C%00").status_code == 422


def test_a_nul_in_a_console_form_is_refused(client: TestClient) -> None:
    r = client.post(
        "/login",
        content=b"username=ad%00min&password=x",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert (r.status_code, r.json()["errors"][0]["field"]) == (422, "username")


def test_ordinary_text_and_escaped_emoji_pass_through(client: TestClient) -> None:
    # a valid surrogate pair (an escaped emoji) is one character, not an unpaired surrogate
    r = client.post(
        "/api/v1/messages",
        content=_order("C\\ud83d\\ude00").encode(),
        headers={"content-type": "application/json"},
    )
    assert r.status_code != 422 or r.json()["errors"][0].get("type") != "text_not_storable"
    assert client.get("/api/v1/health").status_code == 200
