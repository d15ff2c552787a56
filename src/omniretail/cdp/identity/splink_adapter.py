"""Splink on our analytics engine: one small adapter per engine, chosen by the engine's name.

Splink runs its SQL on the same connection (DuckDB) or session (Spark) as the pipeline, so
its inputs are our work tables and its outputs are tables we can join without copying.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from omniretail.platform.engine.base import AnalyticsEngine


def _duckdb_api(engine: AnalyticsEngine) -> Any:
    from splink import DuckDBAPI

    return DuckDBAPI(engine.con)  # type: ignore[attr-defined]


def _spark_api(engine: AnalyticsEngine) -> Any:
    from splink import SparkAPI

    return SparkAPI(spark_session=engine.spark)  # type: ignore[attr-defined,no-untyped-call]


ADAPTERS: dict[str, Callable[[AnalyticsEngine], Any]] = {
    "duckdb": _duckdb_api,
    "spark": _spark_api,
}


def splink_db_api(engine: AnalyticsEngine) -> Any:
    """The Splink database API bound to ``engine``'s connection."""
    try:
        factory = ADAPTERS[engine.name]
    except KeyError:
        raise ValueError(f"Splink has no adapter for the {engine.name!r} engine") from None
    logging.getLogger("splink").setLevel(logging.WARNING)
    return factory(engine)
