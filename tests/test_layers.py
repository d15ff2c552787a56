"""The layering is declared (.importlinter) and enforced: import-linter's contracts hold, and the
analytics engine is reached only through its adapter."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src" / "omniretail"
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def _lint(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )


def test_import_contracts_are_kept() -> None:
    """Layers (cli; web | demo; care | operations; marketing; insight; cdp; omnichannel;
    platform), each domain's sub-package layers, every package declared — hence 0 import
    cycles between sub-packages."""
    r = _lint()
    assert r.returncode == 0, r.stdout + r.stderr
    assert "0 broken" in r.stdout


def test_a_broken_contract_fails_the_check(tmp_path: Path) -> None:
    """The check can fail: the web package does import the platform, so a contract putting the
    platform above the web is reported broken."""
    config = tmp_path / "upside_down.ini"
    config.write_text(
        "[importlinter]\nroot_package = omniretail\n\n"
        "[importlinter:contract:upside-down]\nname = upside down\ntype = layers\n"
        "layers =\n    omniretail.platform\n    omniretail.web\n",
        encoding="utf-8",
    )
    r = _lint("--config", str(config))
    assert r.returncode != 0
    assert "BROKEN" in r.stdout


def _python_files_outside_engine() -> list[Path]:
    engine = SRC / "platform" / "engine"
    return [p for p in SRC.rglob("*.py") if engine not in p.parents]


def test_engine_connection_is_used_only_inside_the_adapter() -> None:
    """No ``engine.con`` (the DuckDB connection) or ``engine.spark`` outside platform/engine,
    and no branching on the engine's name: the adapter's methods are the interface."""
    offenders = []
    pattern = re.compile(
        r"\.con\.(?:register|execute|sql|unregister)\b|engine\.con\b|engine\.spark\b"
        r"|\.name\s*==\s*[\"'](?:duckdb|spark)[\"']"
    )
    for path in _python_files_outside_engine():
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if pattern.search(line):
                offenders.append(f"{path.relative_to(ROOT)}:{n}: {line.strip()}")
    assert offenders == []


def test_domains_do_not_import_the_web_package() -> None:
    """Domain pages use the console toolkit (platform.console), never ``omniretail.web``."""
    offenders = [
        str(p.relative_to(ROOT))
        for p in _python_files_outside_engine()
        if p.relative_to(SRC).parts[0] not in ("web", "cli")
        and re.search(r"^\s*(from|import) omniretail\.web\b", p.read_text(encoding="utf-8"), re.M)
    ]
    assert offenders == []
