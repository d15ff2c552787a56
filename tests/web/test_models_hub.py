"""The 模型 navigation item leads to the model pages (it was a "coming soon" placeholder)."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tests.web.conftest import ADMIN, login

LINKS = (
    "/models/clv",
    "/models/churn",
    "/models/recommendations",
    "/models/recommendations#new-product",
    "/omnichannel/forecast",
)


def test_models_nav_leads_to_every_model_page(console: TestClient) -> None:
    login(console, *ADMIN)
    hub = console.get("/models")
    assert hub.status_code == 200
    assert "data-coming-soon" not in hub.text
    assert "建设中" not in hub.text
    assert re.search(r'data-nav="models"\s+aria-current="page"', hub.text)
    for href in LINKS:
        assert f'href="{href}"' in hub.text, href
    for label in ("客户终身价值", "流失风险", "推荐模型", "为新品查找目标客户", "需求预测"):
        assert label in hub.text, label
    for href in LINKS:
        page = console.get(href.split("#")[0])
        assert page.status_code == 200, href
        if href.startswith("/models"):
            # the model pages keep 模型 highlighted in the navigation
            assert re.search(r'data-nav="models"\s+aria-current="page"', page.text), href
    assert 'id="new-product"' in console.get("/models/recommendations").text


def test_unfitted_models_say_so_instead_of_a_number(console: TestClient) -> None:
    login(console, *ADMIN)
    hub = console.get("/models").text
    statuses = re.findall(r'data-testid="model-status">([^<]*)<', hub)
    assert len(statuses) == 5
    assert statuses.count("尚未训练：数据流水线运行时会自动训练。") == 3
    assert statuses.count("按需运行。") == 2


def test_errors_reach_a_chinese_user_in_chinese(console: TestClient) -> None:
    """ "The models have not been fitted yet" and "no snapshot yet" were shown in English."""
    login(console, *ADMIN)
    for path in ("/models/clv", "/models/churn"):
        page = console.get(path).text
        assert "数据流水线" in page, path
        assert "have not been fitted" not in page, path
        assert "snapshot" not in page, path
    dashboards = console.get("/dashboards").text
    assert "snapshot" not in dashboards
    # the API keeps its English detail and adds the caller's language for the console's scripts
    problem = console.get("/api/v1/models/clv", headers={"accept": "application/json"}).json()
    assert problem["detail"].isascii()
    assert "数据流水线" in problem["message"]
