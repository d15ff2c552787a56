"""数据接入 and loyalty in a real browser, in zh-CN, on a small demo world imported and run
through the pipeline: the admin reads the sources and their batches, opens a quarantined row
from its reason, fixes one that cannot pass (refused, nothing saved) and discards it with a
reason, explains a customer made of several records and splits one off; then adds a tier
(a bad multiplier refused in Chinese) and gives that customer points and the tier, each with a
reason. Every page shows no untranslated text (the zh-CN walk's own check, on pages with
data)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

from tests.demo.instance import run_pipeline
from tests.e2e.conftest import ADMIN, admin_page, serve_console
from tests.e2e.test_zh_untranslated import COLLECT_JS, findings

pytestmark = [pytest.mark.browser, pytest.mark.slow]

STEPS = ["standardize", "omnichannel.master", "identity", "unify", "publish_customers"]


@pytest.fixture(scope="module")
def instance(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """(url, a customer id with several records) of a small demo instance."""
    from omniretail.cdp.ingest.service import import_world
    from omniretail.demo import generate_world
    from omniretail.platform import config, db, migrate
    from omniretail.platform.auth import service as auth_service
    from omniretail.platform.engine import published_engine

    home = tmp_path_factory.mktemp("intake") / "home"
    env = {k: v for k, v in os.environ.items() if not k.startswith("OMNIRETAIL_")}
    env.update({"OMNIRETAIL_HOME": str(home), "OMNIRETAIL_DEMO": "1", "PYTHONUNBUFFERED": "1"})
    with pytest.MonkeyPatch.context() as mp:
        for k in [k for k in os.environ if k.startswith("OMNIRETAIL_")]:
            mp.delenv(k)
        for k, v in env.items():
            if k.startswith("OMNIRETAIL_"):
                mp.setenv(k, v)
        config.reset_settings()
        try:
            config.get_settings().ensure_dirs()
            migrate.upgrade()
            generate_world(home / "demo-world", scale=0.003, seed=5)
            with db.session_scope() as s:
                import_world(s, world=home / "demo-world")
                auth_service.ensure_user(
                    s, username=ADMIN[0], password=ADMIN[1], role="admin", display_name="王店长"
                )
            run_pipeline(STEPS)
            engine = published_engine()
            try:
                customer = engine.scalar(
                    "SELECT customer_id FROM identity_map GROUP BY 1 "
                    "HAVING count(*) BETWEEN 3 AND 6 ORDER BY 1 LIMIT 1"
                )
            finally:
                engine.close()
            with serve_console(env, home / "server.log") as url:
                yield url, str(customer)
        finally:
            config.reset_settings()


def _chinese(page: Any) -> None:
    page.wait_for_load_state("networkidle")
    found = findings(page.evaluate(COLLECT_JS))
    assert not found, f"{page.url}: untranslated {sorted(found)}"


def test_review_the_intake_fix_discard_and_split(
    browser: Any, instance: tuple[str, str], screenshot: Any
) -> None:
    url, customer = instance
    with admin_page(browser, url, timeout=60_000) as page:
        page.goto("/data")
        sources = page.locator("[data-testid=sources] tbody tr")
        assert sources.count() >= 10
        assert page.locator("[data-source=pos]").inner_text().startswith("门店收银（POS）")
        _chinese(page)
        screenshot(page, "data-sources")

        # a reason of the quarantine leads to its records; open the first one
        page.locator("[data-testid=reasons] a").first.click()
        page.wait_for_selector("[data-testid=quarantine]")
        _chinese(page)
        page.locator("[data-testid=quarantine] tbody a").first.click()
        page.wait_for_selector("[data-testid=record-facts]")
        _chinese(page)
        form = page.locator("[data-testid=fix-form]")
        if form.count():  # a readable row: a change that does not fix it is refused
            first = form.locator("input[name^='col:']").first
            first.fill(first.input_value() + "x")
            page.click("[data-testid=fix]")
            page.wait_for_selector("[data-testid=still-rejected], [data-testid=done]")
        page.fill("[data-testid=discard-form] input[name=note]", "收银机测试数据")
        page.click("[data-testid=discard]")
        page.wait_for_selector("[data-testid=done]")
        assert page.locator("[data-testid=status]").inner_text() == "已放弃"
        screenshot(page, "data-record-discarded")

        # the customer's records, why they are one, and one split off
        page.goto("/data/identity")
        page.fill("[data-testid=identity-search] input[name=q]", customer)
        page.click("[data-testid=identity-search] button")
        page.wait_for_selector("[data-testid=records]")
        assert page.locator("[data-testid=links] tbody tr").count() >= 1
        _chinese(page)
        screenshot(page, "data-identity")
        page.locator("[data-testid=records] input[name=record]").last.check()
        page.fill("[data-testid=unmerge-form] input[name=reason]", "两人共用门店电话")
        page.click("[data-testid=unmerge]")
        page.wait_for_selector("[data-testid=done]")
        assert "拆出" in page.locator("[data-testid=done]").inner_text()
        assert page.locator("[data-testid=decisions] tbody tr").count() >= 1
        _chinese(page)


def test_tiers_and_a_members_points_and_tier(
    browser: Any, instance: tuple[str, str], screenshot: Any
) -> None:
    url, customer = instance
    with admin_page(browser, url, timeout=60_000) as page:
        page.goto("/loyalty")
        form = page.locator("[data-testid=tier-form]")
        form.locator("input[name=code]").fill("gold")
        form.locator("input[name=name]").fill("金卡会员")
        form.locator("input[name=rank]").fill("2")
        form.locator("input[name=earn_multiplier]").fill("0")
        page.click("[data-testid=create-tier]")
        assert "积分倍数：须大于 0" in page.locator("[data-testid=error]").inner_text()
        page.locator("[data-testid=tier-form] input[name=earn_multiplier]").fill("1.5")
        page.click("[data-testid=create-tier]")
        page.wait_for_selector("[data-testid=created]")
        assert page.locator("[data-tier=gold]").count() == 1
        _chinese(page)

        page.goto(f"/loyalty/members/{customer}")
        page.fill("[data-testid=adjust-form] input[name=points]", "-999999")
        page.fill("[data-testid=adjust-form] input[name=reason]", "扣减测试")
        page.click("[data-testid=adjust]")
        assert "不能扣减" in page.locator("[data-testid=error]").inner_text()
        page.fill("[data-testid=adjust-form] input[name=points]", "200")
        page.fill("[data-testid=adjust-form] input[name=reason]", "门店补录小票")
        page.click("[data-testid=adjust]")
        page.wait_for_selector("[data-testid=done]")
        page.select_option("[data-testid=tier-set-form] select[name=tier_code]", "gold")
        page.fill("[data-testid=tier-set-form] input[name=reason]", "客诉补偿升级")
        page.click("[data-testid=set-tier]")
        page.wait_for_selector("[data-testid=done]")
        assert "金卡会员" in page.locator("[data-kpi=tier]").inner_text()
        assert page.locator("[data-testid=entries] tr[data-kind=adjust]").count() == 1
        _chinese(page)
        screenshot(page, "loyalty-member")
