"""A campaign whose channel is not configured, in a real browser: the pre-launch check warns,
every send fails, and the campaign page shows the failures by channel and reason and no effect
(desktop and phone width)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.conftest import (
    REPO,
    TaggedInstance,
    admin_page,
    tagged_instance,
)

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def instance(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TaggedInstance]:
    """An instance with member tags in its snapshot (launches run) and no webhook URL."""
    with tagged_instance(tmp_path_factory, "failures") as inst:
        yield inst


@pytest.fixture
def page(browser, instance: TaggedInstance):  # type: ignore[no-untyped-def]
    with admin_page(browser, instance.url, timeout=30_000) as p:
        yield p


DISPATCH = """
from datetime import UTC, timedelta
from sqlalchemy import func, select
from omniretail.platform import db
from omniretail.platform.messaging import service as messaging
from omniretail.platform.messaging.models import Message
with db.session_scope() as s:
    due = s.scalar(select(func.max(Message.due_at)))
due = due if due.tzinfo else due.replace(tzinfo=UTC)
r = messaging.dispatch(db.session_factory(), now=due + timedelta(minutes=1), limit=100_000)
print(r.sent, r.failed)
"""


def _post(page: Any, url: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    text = page.evaluate(
        """([url, body]) => fetch(url, {method: "POST",
             headers: {"Content-Type": "application/json", "Accept": "application/json",
                       // the session's CSRF token, as the console's own scripts send it
                       "X-CSRF-Token": document.querySelector('meta[name="csrf-token"]')
                         ?.content || ""},
             body: body === null ? undefined : JSON.stringify(body)}).then(r => r.text())""",
        [url, body],
    )
    return dict(json.loads(text))


def test_failed_sends_are_shown_by_channel(page, instance: TaggedInstance, screenshot) -> None:  # type: ignore[no-untyped-def]
    code = f"FAIL{int(time.time() * 1000) % 10**9}"
    made = _post(
        page,
        "/api/v1/campaigns",
        {
            "code": code,
            "name": "渠道未配置的活动",
            "goal": "repurchase",
            "audience": {"rule": {"field": "orders_total", "op": "gte", "value": 1}},
            "channels": ["webhook"],
            "holdout_share": 0.2,
        },
    )
    assert made.get("code") == code, made
    risks = _post(page, f"/api/v1/campaigns/{code}/risks")
    assert "webhook" in risks.get("unconfigured_channels", {}), json.dumps(
        risks, ensure_ascii=False
    )
    launched = _post(page, f"/api/v1/campaigns/{code}/launch")
    assert launched["messages_queued"] > 0, launched
    done = subprocess.run(
        [sys.executable, "-c", DISPATCH], env=instance.env, cwd=REPO,
        capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    sent, failed = map(int, done.stdout.split())
    assert sent == 0
    assert failed >= launched["messages_queued"]

    page.goto(f"/campaigns/{code}")
    table = page.locator("[data-testid=table-delivery]")
    table.wait_for()
    row = table.locator("tr[data-channel=webhook]")
    assert "渠道未配置" in row.inner_text()
    assert row.locator("[data-failed]").inner_text().replace(",", "") == str(
        launched["messages_queued"]
    )
    assert page.locator("[data-testid=reached-nobody]").is_visible()
    assert page.locator("[data-significant=yes]").count() == 0
    screenshot(page, "campaign-failed-sends-desktop")
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    page.locator("[data-testid=table-delivery]").wait_for()
    screenshot(page, "campaign-failed-sends-phone")

    page.set_viewport_size({"width": 1440, "height": 900})
    page.goto("/campaigns")
    assert page.locator(f"tr[data-campaign={code}] [data-failed]").count() == 1
    screenshot(page, "campaign-list-failed-desktop")
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    screenshot(page, "campaign-list-failed-phone")
