"""The identity step on both engines: the same records resolve into the same customers, with
the same stable ids and edges — with the deterministic graph alone, and with Splink's
probabilistic edges (its u is estimated on a hashed sample drawn the same way on both engines,
cdp/identity/probabilistic.py; docs/scaling.md §3)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from omniretail.platform import pipeline
from omniretail.platform.config import get_settings
from omniretail.platform.engine.base import AnalyticsEngine
from omniretail.platform.engine.duckdb import DuckDBEngine
from tests.cdp.identity.factories import load_records, synthetic_world

pytestmark = [pytest.mark.spark, pytest.mark.slow]


@pytest.fixture(scope="module")
def spark_session() -> Any:
    pytest.importorskip("pyspark")
    from omniretail.platform.engine.spark import build_session

    return build_session("local[2]", shuffle_partitions=2)  # shared: getOrCreate, never stopped


@pytest.fixture
def on_both_engines(
    home: Path, spark_session: Any
) -> Callable[[Callable[[AnalyticsEngine], Any]], tuple[Any, Any]]:
    """``run(fn)``: ``fn(engine)`` on DuckDB, then on Spark (each with a fresh instance's
    analytics folder), returning both results for the test to compare."""
    from omniretail.platform.engine.spark import SparkEngine

    def run(fn: Callable[[AnalyticsEngine], Any]) -> tuple[Any, Any]:
        out = []
        for name in ("duckdb", "spark"):
            analytics = get_settings().analytics_dir
            for f in analytics.glob("**/*"):
                if f.is_file():
                    f.unlink()
            engine: AnalyticsEngine = (
                DuckDBEngine()
                if name == "duckdb"
                else SparkEngine(session=spark_session, warehouse=home / f"wh-{name}")
            )
            try:
                out.append(fn(engine))
            finally:
                engine.close()
        return out[0], out[1]

    return run


def _resolve_on_both(home: Path, on_both_engines, people: int, splink: bool) -> Any:
    rows, _truth = synthetic_world(people, seed=3)
    (home / "config").mkdir(parents=True, exist_ok=True)
    (home / "config" / "identity.yaml").write_text(f"splink:\n  enabled: {str(splink).lower()}\n")

    def resolve(engine: AnalyticsEngine) -> dict[str, Any]:
        load_records(engine, rows)  # type: ignore[arg-type]
        ctx = pipeline.PipelineContext(engine=engine, settings=get_settings())
        result = pipeline.run(ctx, only=["identity"])["identity"]
        return {
            "result": {k: v for k, v in result.items() if k not in ("seconds", "timings")},
            "map": engine.fetch_rows(
                "SELECT record_key, customer_id FROM identity_map ORDER BY record_key"
            ),
            "edges": engine.fetch_rows(
                "SELECT left_key, right_key, rule FROM identity_edges "
                "ORDER BY left_key, right_key, rule"
            ),
        }

    duck, spark = on_both_engines(resolve)
    return rows, duck, spark


def test_identity_resolves_the_same_customers(home: Path, on_both_engines) -> None:
    rows, duck, spark = _resolve_on_both(home, on_both_engines, 40, splink=False)
    assert duck["result"] == spark["result"]
    assert len(duck["map"]) == len(rows)
    assert duck["map"] == spark["map"]
    assert duck["edges"] == spark["edges"]
    assert len(duck["edges"]) > 0


def test_splink_finds_the_same_probabilistic_edges(home: Path, on_both_engines) -> None:
    """150 people: ~240 clusters (Tmall's masked-phone records form their own), above Splink's
    minimum of 200, so the probabilistic pass runs and links them on both engines alike."""
    rows, duck, spark = _resolve_on_both(home, on_both_engines, 150, splink=True)
    assert duck["result"]["probabilistic_edges"] > 20
    assert duck["result"] == spark["result"]
    assert duck["map"] == spark["map"]
    assert duck["edges"] == spark["edges"]
