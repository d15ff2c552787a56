from __future__ import annotations

import pytest
from pydantic import ValidationError

from omniretail.platform.config import Settings


def test_placeholder_secret_refused_outside_demo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OMNIRETAIL_DEMO", raising=False)
    monkeypatch.setenv("OMNIRETAIL_SECRET_KEY", "changeme")
    with pytest.raises(ValidationError, match="placeholder"):
        Settings()


def test_short_secret_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OMNIRETAIL_DEMO", raising=False)
    monkeypatch.setenv("OMNIRETAIL_SECRET_KEY", "x" * 10)
    with pytest.raises(ValidationError, match="32"):
        Settings()


def test_home_isolates_everything(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("OMNIRETAIL_HOME", str(tmp_path))
    monkeypatch.setenv("OMNIRETAIL_SECRET_KEY", "q8Vd3-Zr1Lx0nP4tY7uK2wE9sB6mJ5cH-test")
    monkeypatch.delenv("OMNIRETAIL_DATABASE_URL", raising=False)
    s = Settings()
    assert s.sqlalchemy_url == f"sqlite:///{tmp_path / 'omniretail.db'}"
    for p in (s.analytics_dir, s.landing_dir, s.models_dir):
        assert tmp_path in p.parents


def test_cli_names_a_bad_setting_without_a_traceback(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if not k.startswith("OMNIRETAIL_")}
    env.update({"OMNIRETAIL_HOME": str(tmp_path), "OMNIRETAIL_SECRET_KEY": "x" * 10})
    done = subprocess.run(
        [sys.executable, "-m", "omniretail.cli.main", "identity", "evaluate", "--truth", "x"],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 2
    assert "error: configuration" in done.stderr
    assert "32" in done.stderr
    assert "Traceback" not in done.stderr
    assert "╭" not in done.stderr
