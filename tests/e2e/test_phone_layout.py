"""Every console page fits a phone: walked at 390 px wide (an iPhone 12–15) as the admin on the
e2e seed world, no page is wider than the screen. A wide table or form scrolls inside its card;
the page itself never scrolls sideways (store staff use the console on their phones)."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from tests.e2e.conftest import LiveServer, log_in
from tests.e2e.test_zh_untranslated import _pages

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PHONE = {"width": 390, "height": 844}

FITS_JS = "(w) => document.documentElement.scrollWidth <= w"

# The widest element that sticks out of the screen, to name in a failure.
CULPRIT_JS = """
() => {
  let worst = null, width = 0;
  for (const el of document.querySelectorAll('body *')) {
    const r = el.getBoundingClientRect();
    if (r.right > innerWidth + 1 && r.width > width && getComputedStyle(el).position !== 'fixed') {
      width = r.width;
      worst = el.tagName.toLowerCase() + (el.className ? '.' + el.className : '')
        + (el.dataset.testid ? ' [' + el.dataset.testid + ']' : '')
        + ' "' + (el.textContent || '').trim().slice(0, 40) + '"';
    }
  }
  return worst;
}
"""


def test_no_page_is_wider_than_a_phone(browser: Any, live_server: LiveServer) -> None:
    context = browser.new_context(
        base_url=live_server.url, viewport=PHONE, locale="zh-CN", timezone_id="Asia/Shanghai"
    )
    context.set_default_timeout(30_000)
    page = context.new_page()
    try:
        log_in(page, *live_server.admin)
        page.wait_for_url(f"{live_server.url}/")
        too_wide = []
        for path in _pages(page, live_server.url):
            response = page.goto(path)
            assert response is not None, path
            page.wait_for_load_state("networkidle")
            try:  # charts size themselves to their card once drawn: wait for the page to settle
                page.wait_for_function(FITS_JS, arg=PHONE["width"] + 1, timeout=10_000)
            except PlaywrightTimeout:
                width = page.evaluate("document.documentElement.scrollWidth")
                too_wide.append(f"{path}: {width} px, {page.evaluate(CULPRIT_JS)}")
        assert not too_wide, "pages wider than a 390 px phone:\n" + "\n".join(too_wide)
    finally:
        context.close()
