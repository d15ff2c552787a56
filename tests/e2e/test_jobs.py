"""任务 Jobs in the browser: every timed job is listed; the administrator runs one now and sees
its outcome and history."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


def test_admin_runs_a_job_now(logged_in_page, screenshot) -> None:  # type: ignore[no-untyped-def]
    page = logged_in_page
    page.click("[data-nav=jobs]")
    page.wait_for_url("**/jobs")
    table = page.locator("[data-testid=jobs]")
    for name in (
        "coupon.expire",
        "messaging.dispatch",
        "campaign.run_due",
        "loyalty.points_expire",
    ):
        assert table.locator(f"tr[data-job='{name}']").count() == 1
    page.click("[data-testid='run-coupon.expire']")
    page.wait_for_url("**/jobs?started=coupon.expire*")
    page.reload()  # the run happens after the response
    row = page.locator("tr[data-job='coupon.expire']")
    assert "成功" in row.locator("[data-testid=outcome]").inner_text()
    assert "手动" in page.locator("[data-testid=job-history]").inner_text()
    screenshot(page, "jobs")
