"""The ``recommendations`` pipeline step, the published tables and the API endpoints."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pytest

from omniretail.platform import pipeline
from omniretail.platform.config import get_settings
from omniretail.platform.engine import open_engine, publish_snapshot
from tests.insight.recommend.world import ShopWorld

NEW_SKU = "NEW01"  # in the catalogue, never sold: a new launch


def load_contract_tables(shop: ShopWorld) -> None:
    purchases = shop.purchases
    orders = (
        purchases.groupby("order_id")
        .agg(customer_id=("customer_id", "first"), ordered_at=("ordered_at", "min"))
        .reset_index()
    )
    orders["source"] = "pos"
    orders["status"] = "paid"
    orders.loc[orders.index[:3], "status"] = "cancelled"
    lines = purchases[["order_id", "sku"]].copy()
    lines["source"] = "pos"
    lines["line_no"] = lines.groupby("order_id").cumcount() + 1
    products = pd.concat(
        [
            shop.products,
            pd.DataFrame(
                [
                    {
                        "sku": NEW_SKU,
                        "name": "良品铺子 海盐 腰果 150g",
                        "category_code": "nuts",
                        "category_name": "坚果",
                        "parent_category_code": "snacks",
                        "brand": "良品铺子",
                        "flavor": "海盐",
                        "price": 39.9,
                        "replenish_days": 30,
                    }
                ]
            ),
        ],
        ignore_index=True,
    )
    customers = pd.DataFrame(
        {"customer_id": [*sorted(shop.taste), "C999999999"], "home_store_code": "S0001"}
    )
    eng = open_engine()
    try:
        for name, frame in {
            "orders": orders,
            "order_lines": lines,
            "dim_product": products,
            "customers": customers,
        }.items():
            eng.register_arrow(name, pa.Table.from_pandas(frame, preserve_index=False))
        ctx = pipeline.PipelineContext(engine=eng, settings=get_settings())
        pipeline.run(ctx, only=["recommendations"])
        assert ctx.results["recommendations"]["customers"] == len(shop.taste) + 1
    finally:
        eng.close()
    publish_snapshot()


@pytest.fixture(scope="module")
def snapshot_home(tmp_path_factory: pytest.TempPathFactory, shop: ShopWorld) -> Path:
    """Run the step once per module in its own data directory."""
    from omniretail.platform import config

    root = tmp_path_factory.mktemp("recs_home")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("OMNIRETAIL_HOME", str(root))
        mp.setenv("OMNIRETAIL_DEMO", "1")
        config.reset_settings()
        load_contract_tables(shop)
    config.reset_settings()
    return root


@pytest.fixture
def served(client: Any, snapshot_home: Path, home: Path) -> Any:
    for rel in ("analytics/published.duckdb", "models/recommendations.pkl"):
        (home / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(snapshot_home / rel, home / rel)
    return client


def test_customer_recommendations(served: Any, shop: ShopWorld) -> None:
    customer = sorted(shop.taste)[0]
    r = served.get(f"/api/v1/customers/{customer}/recommendations", params={"k": 5})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["basis"] == "personal"
    assert [i["rank"] for i in body["items"]] == [1, 2, 3, 4, 5]
    assert all(i["name"] for i in body["items"])


def test_new_customer_gets_popular_and_unknown_is_404(served: Any) -> None:
    r = served.get("/api/v1/customers/C999999999/recommendations")
    assert r.status_code == 200
    assert r.json()["basis"] == "popular"
    assert len(r.json()["items"]) == 10
    r = served.get("/api/v1/customers/C000000404404/recommendations")
    assert r.status_code == 404
    assert r.json()["errors"][0]["field"] == "customer_id"
    assert served.get("/api/v1/customers/x/recommendations", params={"k": 0}).status_code == 422


def test_likely_customers_for_a_new_product(served: Any, shop: ShopWorld) -> None:
    r = served.get(f"/api/v1/products/{NEW_SKU}/likely-customers", params={"n": 20})
    assert r.status_code == 200, r.text
    customers = [c["customer_id"] for c in r.json()["customers"]]
    assert len(customers) == 20
    assert sum(shop.taste[c] == "nuts" for c in customers) >= 16
    assert served.get("/api/v1/products/NOPE/likely-customers").status_code == 404


def test_new_product_by_attributes(served: Any, shop: ShopWorld) -> None:
    r = served.post(
        "/api/v1/products/likely-customers",
        params={"n": 10},
        json={"name": "良品铺子 香辣 牛肉干 200g", "category_code": "meat", "price": 45},
    )
    assert r.status_code == 200, r.text
    assert sum(shop.taste[c["customer_id"]] == "meat" for c in r.json()["customers"]) >= 8
    bad = served.post("/api/v1/products/likely-customers", json={"name": ""})
    assert bad.status_code == 422


def test_bought_together(served: Any, shop: ShopWorld) -> None:
    sku = shop.purchases["sku"].value_counts().index[0]
    r = served.get(f"/api/v1/products/{sku}/bought-together", params={"k": 3})
    assert r.status_code == 200, r.text
    items = r.json()["items"]
    assert items
    assert all(i["sku"] != sku for i in items)
    lifts = [i["lift"] for i in items]
    assert lifts == sorted(lifts, reverse=True)


def test_api_needs_a_login(home: Path, shop: ShopWorld) -> None:
    from fastapi.testclient import TestClient

    from omniretail.platform import migrate
    from omniretail.web.app import create_app

    migrate.upgrade()
    with TestClient(create_app()) as anonymous:
        r = anonymous.get("/api/v1/customers/C000000001/recommendations")
        assert r.status_code == 401


CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def test_console_model_page_and_new_product_form(served: Any, shop: ShopWorld) -> None:
    page = served.get("/models/recommendations")
    assert page.status_code == 200, page.text
    assert 'data-testid="metrics-table"' in page.text
    for algorithm in ("popularity", "itemknn", "hybrid"):
        assert f"<td>{algorithm}</td>" in page.text
    token = CSRF.search(page.text)
    assert token is not None
    r = served.post(
        "/models/recommendations/new-product",
        data={
            "name": "良品铺子 五香 牛肉干 150g",
            "category_code": "meat",
            "n": "10",
            "csrf_token": token.group(1),
        },
    )
    assert r.status_code == 200, r.text
    found = re.findall(r'<a href="/customers/(C\d+)">', r.text)
    assert len(found) == 10
    assert sum(shop.taste[c] == "meat" for c in found) >= 8
    r = served.post(
        "/models/recommendations/new-product",
        data={"name": " ", "csrf_token": token.group(1)},
    )
    assert 'data-testid="form-error"' in r.text
