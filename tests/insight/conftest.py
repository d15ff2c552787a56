"""A small deterministic world of the analytics contract tables, and engines that ran the
insight pipeline over it (others may use these fixtures too).

The world comes from bench/insight_world.py (generated in DuckDB from hashes of row numbers),
so the same 300 customers, ~1,300 orders and ~5,000 order lines every time.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from bench.insight_world import world_tables

from omniretail.platform import pipeline
from omniretail.platform.config import Settings
from omniretail.platform.engine.base import AnalyticsEngine
from omniretail.platform.engine.duckdb import DuckDBEngine

SMALL_WORLD_CUSTOMERS = 300
INSIGHT_STEPS = [
    "insight.features",
    "insight.rfm",
    "insight.lifecycle",
    "insight.tags",
    "insight.kpis",
    "insight.basket",
]


@pytest.fixture(scope="session")
def small_world() -> dict[str, pa.Table]:
    """The contract tables (customers, orders, order_lines, events, reviews, dim_*)."""
    return world_tables(customers=SMALL_WORLD_CUSTOMERS)


def load_world(engine: AnalyticsEngine, world: dict[str, pa.Table]) -> None:
    for name, table in world.items():
        engine.register_arrow(name, table)


def run_insight(
    engine: AnalyticsEngine, home: Path, *, full: bool = True, steps: list[str] | None = None
) -> dict[str, Any]:
    settings = Settings(home=home, demo=True)
    ctx = pipeline.PipelineContext(engine=engine, settings=settings, full_refresh=full)
    return pipeline.run(ctx, only=steps or INSIGHT_STEPS)


@pytest.fixture(scope="session")
def insight_duckdb(
    small_world: dict[str, pa.Table], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[DuckDBEngine]:
    """An in-memory DuckDB engine on which the insight pipeline ran over the small world.
    Read-only use please: it is shared by the whole session."""
    engine = DuckDBEngine()
    load_world(engine, small_world)
    run_insight(engine, tmp_path_factory.mktemp("insight-home"))
    yield engine
    engine.close()
