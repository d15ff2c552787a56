"""Every icon the console names is in the sprite the asset build makes.

A name missing from scripts/build-assets.mjs renders as an empty box, with no error anywhere.
"""

from __future__ import annotations

import re
from pathlib import Path

from omniretail.platform.console.nav import SECTIONS

ROOT = Path(__file__).resolve().parents[2]


def _sprite() -> set[str]:
    script = (ROOT / "scripts" / "build-assets.mjs").read_text(encoding="utf-8")
    block = re.search(r"const icons = \[(.*?)\];", script, re.S)
    assert block, "the icon list in scripts/build-assets.mjs moved"
    return set(re.findall(r'"([a-z0-9-]+)"', block.group(1)))


def _used() -> dict[str, str]:
    used: dict[str, str] = {}
    for path in (ROOT / "src" / "omniretail").rglob("*"):
        if path.suffix not in {".html", ".py"}:
            continue
        text = path.read_text(encoding="utf-8")
        for name in re.findall(r"""\bicon\(\s*["']([a-z0-9-]+)["']""", text):
            used.setdefault(name, str(path.relative_to(ROOT)))
        for name in re.findall(r"icons\.svg#([a-z0-9-]+)", text):
            used.setdefault(name, str(path.relative_to(ROOT)))
    for section in SECTIONS:
        for item in section.items:
            used.setdefault(item.icon, "platform/console/nav.py")
    return used


def test_every_icon_used_is_in_the_sprite() -> None:
    sprite = _sprite()
    missing = {name: where for name, where in _used().items() if name not in sprite}
    assert not missing, f"icons not in scripts/build-assets.mjs: {missing}"


def test_the_scan_finds_icons() -> None:
    used = _used()
    assert {"download", "house"} <= set(used)
