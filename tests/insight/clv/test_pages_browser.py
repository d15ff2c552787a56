"""The model pages in a real browser: charts drawn, parameter table, both languages.

The app runs under uvicorn in a thread of this process on a fresh instance whose published
snapshot holds our model tables; chromium is driven by Playwright in its own thread, so this
module does not clash with a Playwright session another test module keeps open.
"""

from __future__ import annotations

import socket
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from omniretail.insight.clv.pipeline import build_scores
from omniretail.platform import config, db, migrate
from omniretail.platform.auth import service
from omniretail.platform.engine import open_engine, publish_snapshot
from tests.insight.churn.synthetic import history, load

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
        "--disable-background-networking"]  # fmt: skip
ADMIN = ("admin", "clv-admin-pass-1")
CHART_JS = """
(key) => {
  const el = document.getElementById('chart-' + key);
  const chart = echarts.getInstanceByDom(el);
  const canvas = el.querySelector('canvas');
  return {instance: !!chart, width: canvas ? canvas.width : 0,
          points: chart ? chart.getOption().series.map((s) => s.data.length) : []};
}
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def console_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if not Path(CHROMIUM).exists():
        pytest.skip("chromium is not installed (run `make system-deps`)")
    import uvicorn

    from omniretail.web.app import create_app

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("OMNIRETAIL_HOME", str(tmp_path_factory.mktemp("clv-console") / "home"))
        mp.setenv("OMNIRETAIL_DEMO", "1")
        mp.delenv("OMNIRETAIL_DATABASE_URL", raising=False)
        config.reset_settings()
        migrate.upgrade()
        with db.session_scope() as s:
            service.create_user(s, username=ADMIN[0], password=ADMIN[1], role="admin")
        engine = open_engine("duckdb")
        try:
            load(engine, history(n=800, seed=9))  # type: ignore[arg-type]
            build_scores(engine)
        finally:
            engine.close()
        publish_snapshot()
        port = _free_port()
        server = uvicorn.Server(
            uvicorn.Config(create_app(), host="127.0.0.1", port=port, log_level="warning")
        )
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{url}/api/v1/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        yield url
        server.should_exit = True
        thread.join(timeout=15)
    config.reset_settings()


def in_browser(url: str, steps: Callable[[Any], None], shot: Path) -> None:
    """Log in as the admin and run ``steps(page)`` in chromium, in a thread of its own."""
    failure: list[BaseException] = []
    errors: list[str] = []

    def work() -> None:
        from playwright.sync_api import sync_playwright

        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
                page = browser.new_page(base_url=url, viewport={"width": 1440, "height": 900})
                page.set_default_timeout(30_000)
                page.on("pageerror", lambda exc: errors.append(str(exc)))
                page.goto("/login")
                page.fill("input[name=username]", ADMIN[0])
                page.fill("input[name=password]", ADMIN[1])
                page.press("input[name=password]", "Enter")
                page.wait_for_url(f"{url}/")
                try:
                    steps(page)
                finally:
                    try:  # evidence for a reader, not an assertion (see tests/e2e/conftest.py)
                        page.screenshot(path=str(shot), full_page=True, timeout=60_000)
                    except Exception as exc:  # noqa: BLE001
                        warnings.warn(f"screenshot not taken: {exc}", stacklevel=1)
                    browser.close()
        except BaseException as exc:  # re-raised in the test's thread
            failure.append(exc)

    thread = threading.Thread(target=work)
    thread.start()
    thread.join(timeout=240)
    assert not thread.is_alive(), "the browser did not finish in 240 s"
    if failure:
        raise failure[0]
    assert not errors, f"JavaScript errors in the page: {errors}"


def _charts_drawn(page: Any, keys: tuple[str, ...]) -> None:
    for key in keys:
        page.wait_for_function("(k) => document.querySelector('#chart-' + k + ' canvas')", arg=key)
        state = page.evaluate(CHART_JS, key)
        assert state["instance"]
        assert state["width"] > 100
        assert all(n >= 2 for n in state["points"])


def test_clv_page_draws_its_charts(console_url: str, tmp_path: Path) -> None:
    def steps(page: Any) -> None:
        page.goto("/models/clv")
        page.locator("[data-testid=parameters]").wait_for()
        assert "客户终身价值模型" in page.inner_text("h1")
        _charts_drawn(page, ("calibration", "backtest"))
        assert "alpha" in page.inner_text("[data-testid=parameters]")

    in_browser(console_url, steps, tmp_path / "models-clv.png")


def test_churn_page_in_english(console_url: str, tmp_path: Path) -> None:
    def steps(page: Any) -> None:
        page.goto("/models/churn")
        page.click("[data-lang=en]")
        page.locator("[data-testid=churn-kpis]").wait_for()
        assert "Churn risk model" in page.inner_text("h1")
        _charts_drawn(page, ("reliability",))
        assert "raises risk" in page.inner_text("[data-testid=coefficients]")

    in_browser(console_url, steps, tmp_path / "models-churn-en.png")
