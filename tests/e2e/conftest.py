"""Browser-test fixtures, reusable by every domain's console tests.

- ``live_server`` (session): the real app under uvicorn on a free loopback port, in a
  subprocess with its own ``OMNIRETAIL_HOME`` (created with ``omniretail init`` and
  ``omniretail users create``: an admin, see ``ADMIN``) and a published analytics snapshot
  seeded with the small deterministic world of ``tests/web/seed.py``.
- ``browser`` (module): Debian's chromium driven by Playwright (sync API). Never downloads
  a browser; skips with a reason when chromium is not installed (``make system-deps``).
- ``console_page``: a fresh browser context (zh-CN, 1440x900) on the live server; JavaScript
  errors and failed script/stylesheet/image/font loads fail the test.
- ``logged_in_page``: the same, logged in as the admin.
- ``screenshot(page, name)``: saves a full-page PNG (to ``$OMNIRETAIL_SCREENSHOTS`` or a
  temporary folder) and returns its path — look at it.

Mark browser tests with ``pytestmark = pytest.mark.browser``.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.web.seed import Seed, make_seed, write_snapshot

REPO = Path(__file__).resolve().parents[2]
VENDOR = REPO / "src" / "omniretail" / "web" / "static" / "vendor"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
]
ADMIN = ("admin", "e2e-admin-pass-1")
VIEWPORT = {"width": 1440, "height": 900}
# A failed load of one of these fails the test (a fetch/XHR error is the page's own business).
STATIC_RESOURCES = ("script", "stylesheet", "image", "font")


@dataclass
class LiveServer:
    url: str
    home: Path
    env: dict[str, str]
    seed: Seed
    admin: tuple[str, str] = ADMIN
    log: Path = field(default_factory=Path)

    def cli(self, *args: str, input: str | None = None) -> str:
        """Run an ``omniretail`` command against this instance; returns its stdout."""
        return run_cli(self.env, *args, input=input)


def run_cli(env: dict[str, str], *args: str, input: str | None = None) -> str:
    """Run an ``omniretail`` command with ``env``; returns its stdout (asserts success)."""
    done = subprocess.run(
        [sys.executable, "-m", "omniretail.cli.main", *args],
        env=env,
        cwd=REPO,
        input=input,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, f"omniretail {' '.join(args)} failed:\n{done.stderr}"
    return done.stdout


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_until_up(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited early:\n{log.read_text()[-4000:]}")
        try:
            if httpx.get(f"{url}/api/v1/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.25)
    raise RuntimeError(f"the server did not answer in 90 s:\n{log.read_text()[-4000:]}")


@contextmanager
def serve_console(env: dict[str, str], log: Path) -> Iterator[str]:
    """The real application under uvicorn on a free loopback port, with ``env``; yields its
    URL once ``/api/v1/health`` answers, and stops the server afterwards."""
    port = _free_port()
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                sys.executable, "-m", "uvicorn", "omniretail.web.app:create_app", "--factory",
                "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning",
            ],
            env=env, cwd=REPO, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(url, process, log)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    if not (VENDOR / "echarts.min.js").exists():
        pytest.fail("the console's JavaScript is not built: run `make assets` (npm ci + build)")
    home = tmp_path_factory.mktemp("e2e") / "home"
    env = {k: v for k, v in os.environ.items() if not k.startswith("OMNIRETAIL_")}
    env.update({"OMNIRETAIL_HOME": str(home), "OMNIRETAIL_DEMO": "1", "PYTHONUNBUFFERED": "1"})
    seed = make_seed()
    server = LiveServer(url="", home=home, env=env, seed=seed, log=home / "server.log")
    server.cli("init")
    server.cli(
        "users", "create", "--username", ADMIN[0], "--role", "admin",
        "--display-name", "王店长", "--password", ADMIN[1],
    )  # fmt: skip
    write_snapshot(home / "analytics" / "published.duckdb", seed)

    with serve_console(env, server.log) as url:
        server.url = url
        yield server


@pytest.fixture(scope="module")
def browser():  # type: ignore[no-untyped-def]
    # Module scope: a sync Playwright holds an event loop in the main thread while it is open,
    # so it must be closed before other test modules start their own.
    if not Path(CHROMIUM).exists():
        pytest.skip("chromium is not installed (run `make system-deps`)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture(scope="session")
def screenshot_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    configured = os.environ.get("OMNIRETAIL_SCREENSHOTS")
    path = Path(configured) if configured else tmp_path_factory.mktemp("screenshots")
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture
def screenshot(screenshot_dir: Path) -> Callable[..., Path]:
    def take(page, name: str, full_page: bool = True) -> Path:  # type: ignore[no-untyped-def]
        # A screenshot is evidence for a reader, not an assertion: when a loaded machine keeps
        # Chromium from painting a long page in time, fall back to the viewport, and when even
        # that times out, say so as a warning instead of failing what the test checked.
        from playwright.sync_api import TimeoutError as PlaywrightTimeout

        path = screenshot_dir / f"{name}.png"
        try:
            page.screenshot(
                path=str(path), full_page=full_page, animations="disabled", timeout=60_000
            )
        except PlaywrightTimeout:
            try:
                page.screenshot(path=str(path), animations="disabled", timeout=60_000)
                warnings.warn(f"screenshot {name}: full page timed out", stacklevel=2)
            except PlaywrightTimeout:
                warnings.warn(f"screenshot {name}: timed out, not taken", stacklevel=2)
        return path

    return take


@pytest.fixture
def console_page(browser, live_server: LiveServer):  # type: ignore[no-untyped-def]
    context = browser.new_context(
        base_url=live_server.url, viewport=VIEWPORT, locale="zh-CN", timezone_id="Asia/Shanghai"
    )
    context.set_default_timeout(20_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on(
        "console",
        lambda msg: (
            errors.append(msg.text)
            if msg.type == "error" and not msg.text.startswith("Failed to load resource")
            else None
        ),
    )
    page.on(
        "response",
        lambda r: (
            errors.append(f"{r.status} {r.url}")
            if r.status >= 400 and r.request.resource_type in STATIC_RESOURCES
            else None
        ),
    )
    yield page
    context.close()
    assert not errors, f"JavaScript errors in the page: {errors}"


def log_in(page, username: str, password: str) -> None:  # type: ignore[no-untyped-def]
    page.goto("/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("form.login-form button[type=submit]")


@contextmanager
def admin_page(browser, url: str, *, timeout: int = 20_000) -> Iterator[Any]:  # type: ignore[no-untyped-def]
    """A page of a new browser context on the console at ``url``, logged in as ``ADMIN``
    (tests that serve their own instance); no JavaScript error may happen in it."""
    context = browser.new_context(
        base_url=url, viewport=VIEWPORT, locale="zh-CN", timezone_id="Asia/Shanghai"
    )
    context.set_default_timeout(timeout)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    log_in(page, *ADMIN)
    page.wait_for_url(f"{url}/")
    yield page
    context.close()
    assert not errors, f"JavaScript errors in the page: {errors}"


@pytest.fixture
def logged_in_page(console_page, live_server: LiveServer):  # type: ignore[no-untyped-def]
    log_in(console_page, *live_server.admin)
    console_page.wait_for_url(f"{live_server.url}/")
    console_page.wait_for_load_state("networkidle")  # the overview has drawn its charts
    return console_page


@dataclass
class TaggedInstance:
    url: str
    env: dict[str, str]


@contextmanager
def tagged_instance(
    tmp_path_factory: pytest.TempPathFactory, name: str, *, customers: int = 400
) -> Iterator[TaggedInstance]:
    """A fresh instance whose published snapshot has a small world with member tags (so
    campaigns can launch), served on loopback; no messaging channel is configured."""
    from bench.insight_world import world_tables

    from omniretail.platform.engine import DuckDBEngine
    from tests.insight.conftest import load_world, run_insight

    root = tmp_path_factory.mktemp(name)
    home = root / "home"
    env = {k: v for k, v in os.environ.items() if not k.startswith("OMNIRETAIL_")}
    env.update({"OMNIRETAIL_HOME": str(home), "OMNIRETAIL_DEMO": "1", "PYTHONUNBUFFERED": "1"})
    run_cli(env, "init")
    run_cli(
        env, "users", "create", "--username", ADMIN[0], "--role", "admin",
        "--password", ADMIN[1],
    )  # fmt: skip
    snapshot = home / "analytics" / "published.duckdb"
    snapshot.parent.mkdir(parents=True, exist_ok=True)
    engine = DuckDBEngine(snapshot)
    load_world(engine, world_tables(customers=customers))
    steps = ["insight.features", "insight.rfm", "insight.lifecycle", "insight.tags"]
    run_insight(engine, root / "insight", steps=steps)
    engine.close()
    with serve_console(env, home / "server.log") as url:
        yield TaggedInstance(url=url, env=env)
