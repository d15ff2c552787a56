from __future__ import annotations


def test_health(client) -> None:  # type: ignore[no-untyped-def]
    r = client.get("/api/v1/health")
    assert r.status_code == 200
    assert r.json()["status"] == "ok"


def test_problem_details_name_the_field(client) -> None:  # type: ignore[no-untyped-def]
    r = client.post("/api/v1/auth/login", json={"username": "admin"})
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["errors"][0]["field"] == "password"
    assert "password" in body["detail"]


def test_wrong_password_is_a_401_problem(client) -> None:  # type: ignore[no-untyped-def]
    r = client.post("/api/v1/auth/login", json={"username": "admin", "password": "nope-nope"})
    assert r.status_code == 401
    assert r.json()["title"] == "Not authenticated"


def test_openapi_served(client) -> None:  # type: ignore[no-untyped-def]
    assert client.get("/api/v1/openapi.json").json()["info"]["title"] == "omniretail"
