"""客服 in a real browser, in zh-CN: the demo's sessions in the queue (bot-handled, handed over,
a breached clock, a crisis ticket from an injected spike), an agent takes a handed-over ticket,
sees the customer's side panel, replies and closes it; a reply after closing is refused; the
bot tester abstains on an off-topic question."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.e2e.conftest import REPO

pytestmark = pytest.mark.browser

SEED = """
from omniretail.demo import care
from omniretail.platform import db
with db.session_scope() as s:
    print(care.build(s))
"""


def test_agent_works_the_queue(logged_in_page, live_server, screenshot) -> None:  # type: ignore[no-untyped-def]
    out = subprocess.run(
        [sys.executable, "-c", SEED], env=live_server.env, cwd=REPO, capture_output=True,
        text=True, check=True,
    )  # fmt: skip
    assert "crisis_tickets" in out.stdout
    page = logged_in_page
    page.goto("/service")
    queue = page.get_by_test_id("queue")
    assert queue.locator("[data-breached='1']").count() >= 1
    assert "排队中" in queue.inner_text()
    assert page.get_by_test_id("crises").locator("tr[data-crisis]").count() >= 1
    assert "配送异常预案" in page.get_by_test_id("crises").inner_text()
    screenshot(page, "care-service-desk")
    # take a handed-over ticket from the queue
    row = queue.locator("tr", has_text="排队中").first
    row.get_by_test_id("open-ticket").click()
    page.wait_for_url("**/service/tickets/*")
    assert page.get_by_test_id("messages").locator("[data-direction='in']").count() >= 1
    assert page.get_by_test_id("customer-card").is_visible()
    page.get_by_test_id("take").click()
    page.get_by_test_id("reply-body").fill("您好，已为您登记，稍后给您回电。")
    page.get_by_test_id("reply").click()
    page.wait_for_load_state("networkidle")
    assert "已为您登记" in page.get_by_test_id("messages").inner_text()
    assert "人工接待" in page.get_by_test_id("ticket-kpis").inner_text()
    screenshot(page, "care-ticket")
    page.get_by_test_id("close").click()
    page.wait_for_load_state("networkidle")
    assert "已结束" in page.get_by_test_id("ticket-kpis").inner_text()
    assert page.get_by_test_id("closed-note").is_visible()
    # the bot tester: an off-topic question is handed over, not answered
    page.goto("/service")
    page.get_by_test_id("ask-question").fill("明天股市会涨吗")
    # the first question in the server process builds the FAQ index (seconds, more under load)
    page.get_by_test_id("ask").click(timeout=120_000)
    answer = page.get_by_test_id("bot-answer")
    assert answer.get_attribute("data-abstained") == "1"
    assert "转人工" in answer.inner_text()
