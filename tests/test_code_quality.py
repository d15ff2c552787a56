"""The conventions CI holds us to: ruff over the code, mypy strict over src, docs generated
from the code are current."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def _run(*cmd: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=False)


def test_ruff_is_clean() -> None:
    r = _run(str(BIN / "ruff"), "check", "src", "tests", "bench")
    assert r.returncode == 0, r.stdout + r.stderr


def test_mypy_strict_on_src() -> None:
    r = _run(str(BIN / "mypy"))
    assert r.returncode == 0, r.stdout + r.stderr


def test_data_model_doc_is_current() -> None:
    r = _run(sys.executable, "scripts/gen_data_model.py", "--check")
    assert r.returncode == 0, "docs/data-model.md is stale: run scripts/gen_data_model.py"
