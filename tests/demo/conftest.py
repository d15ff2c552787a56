"""A small demo world (scale 0.01 = 1,000 people), generated once per test session."""

from __future__ import annotations

from pathlib import Path

import pytest

from omniretail.demo import WorldSummary, generate_world


@pytest.fixture(scope="session")
def small_world(tmp_path_factory: pytest.TempPathFactory) -> WorldSummary:
    return generate_world(tmp_path_factory.mktemp("world") / "w", scale=0.01, seed=7)


@pytest.fixture(scope="session")
def world_dir(small_world: WorldSummary) -> Path:
    return small_world.out
