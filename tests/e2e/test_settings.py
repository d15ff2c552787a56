"""系统设置 in the browser: create a user with the inline form (Alpine.js), see an API key once."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


def test_create_user_and_api_key(logged_in_page, screenshot) -> None:
    page = logged_in_page
    page.click("[data-nav=settings]")
    page.wait_for_url("**/settings")
    assert not page.locator("form[action='/settings/users']").is_visible()
    page.click("[data-testid=add-user]")
    form = page.locator("form[action='/settings/users']")
    form.wait_for(state="visible")
    form.locator("input[name=username]").fill("e2e-analyst")
    form.locator("input[name=display_name]").fill("数据组小周")
    form.locator("select[name=role]").select_option("analyst")
    form.locator("input[name=password]").fill("analyst-pass-9")
    form.locator("button[type=submit]").click()
    page.wait_for_url("**/settings?created=e2e-analyst")
    assert "数据组小周" in page.locator("[data-testid=users]").inner_text()

    page.click("[data-testid=add-key]")
    keys = page.locator("form[action='/settings/api-keys']")
    keys.locator("input[name=name]").fill("e2e-pos-import")
    keys.locator("input[value=events]").check()
    keys.locator("button[type=submit]").click()
    shown = page.locator("[data-testid=new-key] code").inner_text()
    assert shown.startswith("or_")
    screenshot(page, "settings")
    page.goto("/settings")
    assert shown not in page.content()
    assert "e2e-pos-import" in page.locator("[data-testid=api-keys]").inner_text()
    # scopes in the console's language, not the codes 'read'/'events'
    assert "上报事件" in page.locator("[data-testid=api-keys]").inner_text()
