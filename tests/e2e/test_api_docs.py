"""The API docs page renders Swagger UI from the console's own static files, never a CDN."""

from __future__ import annotations

from urllib.parse import urlparse

import pytest

pytestmark = pytest.mark.browser


def test_api_docs_render_without_internet(console_page, live_server, screenshot) -> None:
    page = console_page
    own = urlparse(live_server.url).netloc
    foreign: list[str] = []
    page.on(
        "request",
        lambda r: (
            foreign.append(r.url)
            if urlparse(r.url).scheme in ("http", "https") and urlparse(r.url).netloc != own
            else None
        ),
    )
    page.goto("/api/v1/docs")
    # Swagger UI has rendered the spec: the title and an operation of the health route
    page.locator(".swagger-ui .info .title").wait_for()
    assert "omniretail" in page.locator(".swagger-ui .info .title").inner_text()
    page.locator("#operations-tag-system").wait_for()
    screenshot(page, "api-docs", full_page=False)
    assert foreign == [], f"the docs page reached outside the server: {foreign}"
