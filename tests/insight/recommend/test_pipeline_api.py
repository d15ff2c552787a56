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


def home_of(customer_id: str) -> str:
    """Customers alternate between two stores (the store-scope tests rely on it)."""
    return "S0001" if int(customer_id[1:]) % 2 else "S0002"


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
    ids = [*sorted(shop.taste), "C999999999"]
    customers = pd.DataFrame({"customer_id": ids, "home_store_code": [home_of(c) for c in ids]})
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
    # the result can be saved as a segment: a fixed list of exactly these customers
    import json

    listed = re.search(r'<script type="application/json" id="np-list">(.*?)</script>', r.text)
    assert listed is not None
    label = "新品找人：良品铺子 五香 牛肉干 150g"
    assert json.loads(listed.group(1)) == {"label": label, "ids": found}
    assert 'data-testid="save-as-segment"' in r.text
    assert "保存为人群" in r.text
    r = served.post(
        "/models/recommendations/new-product",
        data={"name": " ", "csrf_token": token.group(1)},
    )
    assert 'data-testid="form-error"' in r.text

    # with the chain's categories known, an unknown code is named in Chinese, not bare ids
    from omniretail.omnichannel.product import service as product_service
    from omniretail.omnichannel.product.schemas import CategoryCreate
    from omniretail.platform import db

    with db.session_scope() as s:
        product_service.upsert_categories(
            s, categories=[CategoryCreate(code="MEAT", name="肉类零食")]
        )
    r = served.post(
        "/models/recommendations/new-product",
        data={"name": "新品", "category_code": "pork_jerky", "csrf_token": token.group(1)},
    )
    assert "未知的品类编码 pork_jerky" in r.text
    assert "肉类零食（MEAT）" in r.text
    assert "/customers/C" not in r.text
    r = served.post(  # a known code (in any case) finds customers
        "/models/recommendations/new-product",
        data={"name": "新品", "category_code": "meat", "n": "5", "csrf_token": token.group(1)},
    )
    assert len(re.findall(r'<a href="/customers/(C\d+)">', r.text)) == 5


def _manager(store_codes: list[str]) -> Any:
    """A store manager limited to ``store_codes`` (stores created here), logged in."""
    from fastapi.testclient import TestClient

    from omniretail.omnichannel.store.models import City, Store
    from omniretail.platform import db
    from omniretail.platform.auth import service as auth_service
    from omniretail.web.app import create_app

    with db.session_scope() as s:
        city = City(code="420100", name="武汉市", province="湖北省")
        s.add(city)
        s.flush()
        ids = []
        for code in ("S0001", "S0002", "S0003"):
            store = Store(code=code, name=f"门店{code}", store_type="street", city_id=city.id)
            s.add(store)
            s.flush()
            if code in store_codes:
                ids.append(store.id)
        auth_service.create_user(
            s, username="manager", password="manager-pass-1", role="store_manager", store_ids=ids
        )
    c = TestClient(create_app())
    r = c.post("/api/v1/auth/login", json={"username": "manager", "password": "manager-pass-1"})
    assert r.status_code == 200, r.text
    c.headers["X-CSRF-Token"] = r.json()["csrf_token"]
    return c


def test_store_manager_sees_only_their_customers_recommendations(
    served: Any, shop: ShopWorld
) -> None:
    mine = [c for c in sorted(shop.taste) if home_of(c) == "S0002"]
    other = [c for c in sorted(shop.taste) if home_of(c) == "S0001"]
    manager = _manager(["S0002"])
    r = manager.get(f"/api/v1/customers/{mine[0]}/recommendations")
    assert r.status_code == 200, r.text
    assert r.json()["basis"] == "personal"
    # another store's customer looks exactly like an unknown one
    outside = manager.get(f"/api/v1/customers/{other[0]}/recommendations")
    unknown = manager.get("/api/v1/customers/C000000404404/recommendations")
    assert outside.status_code == unknown.status_code == 404
    assert outside.json()["errors"][0]["field"] == "customer_id"
    assert outside.json()["title"] == unknown.json()["title"]
    # a new customer (no purchases yet) of another store is hidden too, not given the popular list
    assert home_of("C999999999") == "S0001"
    assert manager.get("/api/v1/customers/C999999999/recommendations").status_code == 404
    # the admin still sees everyone
    assert served.get(f"/api/v1/customers/{other[0]}/recommendations").status_code == 200


def test_store_manager_audiences_hold_only_their_customers(served: Any, shop: ShopWorld) -> None:
    manager = _manager(["S0002"])
    r = manager.get(f"/api/v1/products/{NEW_SKU}/likely-customers", params={"n": 20})
    assert r.status_code == 200, r.text
    found = [c["customer_id"] for c in r.json()["customers"]]
    assert len(found) == 20  # still n of their own, not the in-store share of the chain's top n
    assert {home_of(c) for c in found} == {"S0002"}
    assert sum(shop.taste[c] == "nuts" for c in found) >= 16
    assert [c["rank"] for c in r.json()["customers"]] == list(range(1, 21))
    chain = served.get(f"/api/v1/products/{NEW_SKU}/likely-customers", params={"n": 20})
    assert {home_of(c["customer_id"]) for c in chain.json()["customers"]} == {"S0001", "S0002"}
    assert manager.get("/api/v1/products/NOPE/likely-customers").status_code == 404

    r = manager.post(
        "/api/v1/products/likely-customers",
        params={"n": 10},
        json={"name": "良品铺子 香辣 牛肉干 200g", "category_code": "meat", "price": 45},
    )
    assert r.status_code == 200, r.text
    found = [c["customer_id"] for c in r.json()["customers"]]
    assert len(found) == 10
    assert {home_of(c) for c in found} == {"S0002"}
    assert sum(shop.taste[c] == "meat" for c in found) >= 8


def test_store_manager_of_a_store_without_customers_gets_nobody(served: Any) -> None:
    manager = _manager(["S0003"])
    r = manager.get(f"/api/v1/products/{NEW_SKU}/likely-customers", params={"n": 5})
    assert r.status_code == 200, r.text
    assert r.json()["customers"] == []
    r = manager.post("/api/v1/products/likely-customers", json={"name": "良品铺子 海盐 腰果"})
    assert r.status_code == 200, r.text
    assert r.json()["customers"] == []


def test_console_new_product_form_is_limited_to_the_managers_stores(
    served: Any, shop: ShopWorld
) -> None:
    manager = _manager(["S0002"])
    page = manager.get("/models/recommendations")
    assert page.status_code == 200, page.text
    token = CSRF.search(page.text)
    assert token is not None
    r = manager.post(
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
    assert {home_of(c) for c in found} == {"S0002"}


def test_api_keys_need_the_read_scope(served: Any, shop: ShopWorld) -> None:
    from fastapi.testclient import TestClient

    from omniretail.platform import db
    from omniretail.platform.auth import service as auth_service
    from omniretail.web.app import create_app

    with db.session_scope() as s:
        _, reader = auth_service.create_api_key(s, name="crm", scopes=["read"])
        _, events = auth_service.create_api_key(s, name="pos", scopes=["events"])
    path = f"/api/v1/customers/{sorted(shop.taste)[0]}/recommendations"
    with TestClient(create_app()) as machine:
        r = machine.get(path, headers={"Authorization": f"Bearer {reader}"})
        assert r.status_code == 200, r.text
        assert r.json()["basis"] == "personal"
        assert machine.get(path, headers={"X-API-Key": events}).status_code == 403
        assert machine.get(path, headers={"X-API-Key": reader + "x"}).status_code == 401
