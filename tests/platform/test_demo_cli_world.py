"""The demo says so when the world it finds is not the one asked for (another scale, seed or
generator version): it would otherwise serve an old world silently."""

from __future__ import annotations

import json
from pathlib import Path

from omniretail.cli.demo import _stale_world
from omniretail.demo.world import GENERATOR_VERSION


def _manifest(tmp_path: Path, **kw: object) -> Path:
    path = tmp_path / "home" / "demo-world" / "world.json"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"version": GENERATOR_VERSION, "scale": 1.0, "seed": 42, **kw}))
    return path


def test_the_asked_world_gives_no_warning(tmp_path: Path) -> None:
    assert _stale_world(_manifest(tmp_path), tmp_path / "home", scale=1, seed=42) == []


def test_an_old_generator_or_another_scale_is_named(tmp_path: Path) -> None:
    lines = _stale_world(
        _manifest(tmp_path, version="1", scale=0.05), tmp_path / "home", scale=1, seed=42
    )
    text = "\n".join(lines)
    assert "version 1, not " + GENERATOR_VERSION in text
    assert "scale 0.05, not 1" in text
    assert "seed" not in text
    assert str(tmp_path / "home") in lines[-1]


def test_an_unreadable_manifest_is_named(tmp_path: Path) -> None:
    path = _manifest(tmp_path)
    path.write_text("{not json")
    assert "cannot read" in _stale_world(path, tmp_path, scale=1, seed=42)[0]
