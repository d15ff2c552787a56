from __future__ import annotations

from omniretail.platform.auth.deps import DbSession


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


def test_a_failed_commit_is_the_requests_error_not_a_200(home) -> None:  # type: ignore[no-untyped-def]
    """DbSession commits when the path operation returns, before the response is sent: a
    commit that fails (here a duplicate username, caught only at commit) reaches the client as
    an error, and nothing is stored."""
    from fastapi import FastAPI
    from fastapi.testclient import TestClient
    from sqlalchemy import func, select

    from omniretail.platform import db, migrate
    from omniretail.platform.auth.models import User

    migrate.upgrade()
    app = FastAPI()

    @app.post("/twice")
    def twice(session: DbSession) -> dict[str, str]:
        for _ in range(2):  # no flush here: the unique constraint fails at commit
            session.add(User(username="dup", password_hash="x", role="analyst"))
        return {"status": "ok"}

    with TestClient(app, raise_server_exceptions=False) as c:
        r = c.post("/twice")
    assert r.status_code == 500
    with db.session_scope() as s:
        assert s.scalar(select(func.count()).select_from(User)) == 0
