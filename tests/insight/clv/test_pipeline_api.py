"""The ``customer_scores`` step's output schema, and the API serving it."""

from __future__ import annotations

import pyarrow as pa
import pytest

from omniretail.insight.clv.pipeline import build_scores
from omniretail.platform import pipeline
from omniretail.platform.config import get_settings
from omniretail.platform.engine import open_engine, publish_snapshot
from omniretail.platform.engine.duckdb import DuckDBEngine
from tests.insight.churn.synthetic import history, load

EXPECTED = {
    "customer_id": pa.string(),
    "p_alive": pa.float64(),
    "expected_purchases_90d": pa.float64(),
    "expected_purchases_180d": pa.float64(),
    "expected_purchases_365d": pa.float64(),
    "expected_value_90d": pa.float64(),
    "expected_value_180d": pa.float64(),
    "expected_value_365d": pa.float64(),
    "churn_risk": pa.float64(),
    "churn_top_factors": pa.list_(pa.string()),
    "next_purchase_date": pa.date32(),
    "next_replenishment_due_date": pa.date32(),
    "replenishment_due_categories": pa.list_(pa.string()),
}


def test_step_is_registered() -> None:
    steps = {s.name: s for s in pipeline.discover()}
    assert steps["customer_scores"].order == 600


def test_output_schema_and_values() -> None:
    with DuckDBEngine() as eng:
        load(eng, history(n=600, seed=1))
        out = build_scores(eng)
        assert out["customers"] == 600
        schema = eng.fetch_arrow("SELECT * FROM customer_scores LIMIT 0").schema
        for name, typ in EXPECTED.items():
            assert schema.field(name).type == typ, name
        stats = eng.fetch_rows(
            """SELECT min(p_alive) lo, max(p_alive) hi,
                      bool_and(expected_purchases_365d >= expected_purchases_90d) mono,
                      min(next_purchase_date) first_next, count(DISTINCT customer_id) n
               FROM customer_scores"""
        )[0]
        assert 0 < stats["lo"] <= stats["hi"] <= 1
        assert stats["mono"]
        assert stats["n"] == 600
        assert str(stats["first_next"]) >= out["as_of"]
        models = {r["model"] for r in eng.fetch_rows("SELECT model FROM customer_score_models")}
        assert models == {"clv", "churn"}


def test_without_orders_the_step_skips() -> None:
    with DuckDBEngine() as eng:
        assert "skipped" in build_scores(eng)


def test_api_serves_published_scores(client) -> None:  # type: ignore[no-untyped-def]
    assert client.get("/api/v1/models/clv").status_code == 503  # no snapshot yet
    empty = client.get("/models/clv")
    assert empty.status_code == 200
    assert 'data-testid="empty-state"' in empty.text
    settings = get_settings()
    eng = open_engine("duckdb", settings)
    try:
        load(eng, history(n=300, seed=2))  # type: ignore[arg-type]
        build_scores(eng)
    finally:
        eng.close()
    publish_snapshot(settings)
    body = client.get("/api/v1/customers/C000000001/scores").json()
    assert body["customer_id"] == "C000000001"
    assert 0 <= body["p_alive"] <= 1
    assert isinstance(body["churn_top_factors"], list)
    assert isinstance(body["replenishment"], list)
    clv = client.get("/api/v1/models/clv").json()
    assert set(clv["parameters"]) == {"r", "alpha", "a", "b"}
    assert clv["calibration_fit"][0]["repeat_purchases"] == "0"
    churn = client.get("/api/v1/models/churn").json()
    assert churn["test"]["auc"] > 0.7
    page = client.get("/models/clv")
    assert 'data-testid="parameters"' in page.text
    assert "alpha" in page.text
    churn_page = client.get("/models/churn")
    assert 'data-chart="reliability"' in churn_page.text
    missing = client.get("/api/v1/customers/C999999999/scores")
    assert missing.status_code == 404
    assert missing.json()["errors"][0]["field"] == "customer_id"


@pytest.mark.parametrize("path", ["/api/v1/models/clv", "/api/v1/customers/C1/scores"])
def test_api_needs_login(home, path: str) -> None:  # type: ignore[no-untyped-def]
    from fastapi.testclient import TestClient

    from omniretail.platform import migrate
    from omniretail.web.app import create_app

    migrate.upgrade()
    with TestClient(create_app()) as anonymous:
        assert anonymous.get(path).status_code == 401


def test_store_limited_users_see_only_their_customers(home) -> None:  # type: ignore[no-untyped-def]
    from fastapi.testclient import TestClient

    from omniretail.omnichannel.store.models import City, Store
    from omniretail.platform import db, migrate
    from omniretail.platform.auth import service
    from omniretail.web.app import create_app

    migrate.upgrade()
    with db.session_scope() as s:
        city = City(code="420100", name="武汉市", province="湖北省")
        s.add(city)
        s.flush()
        store = Store(code="WH01", name="武汉一店", store_type="mall", city_id=city.id)
        s.add(store)
        s.flush()
        service.create_user(
            s, username="clerk", password="clerk-pass-1", role="clerk", store_ids=[store.id]
        )
    settings = get_settings()
    eng = open_engine("duckdb", settings)
    try:
        tables = history(n=100, seed=6)
        load(eng, tables)  # type: ignore[arg-type]
        eng.register_arrow(
            "customers",
            pa.table(
                {
                    "customer_id": ["C000000001", "C000000002"],
                    "home_store_code": ["WH01", "SH01"],
                }
            ),
        )
        build_scores(eng)
    finally:
        eng.close()
    publish_snapshot(settings)
    with TestClient(create_app()) as c:
        r = c.post("/api/v1/auth/login", json={"username": "clerk", "password": "clerk-pass-1"})
        assert r.status_code == 200
        c.headers["X-CSRF-Token"] = r.json()["csrf_token"]
        assert c.get("/api/v1/customers/C000000001/scores").status_code == 200
        assert c.get("/api/v1/customers/C000000002/scores").status_code == 404


def test_schema_is_the_same_without_products_or_events() -> None:
    with DuckDBEngine() as eng:
        tables = history(n=300, seed=8)
        eng.register_arrow("orders", tables["orders"])
        build_scores(eng)
        schema = eng.fetch_arrow("SELECT * FROM customer_scores LIMIT 0").schema
        for name, typ in EXPECTED.items():
            assert schema.field(name).type == typ, name
        assert schema.field("replenishment_due_in_days").type == pa.int32()
        assert eng.scalar("SELECT count(next_replenishment_due_date) FROM customer_scores") == 0
