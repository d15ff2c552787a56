"""Analytics engines: ``open_engine`` for the pipeline (one writer), ``open_published`` for readers.

Layout under ``$OMNIRETAIL_HOME/analytics``: the pipeline writes ``work.duckdb`` and
publishes it atomically as ``published.duckdb``; readers (console previews, API) open the
published snapshot read-only (``engine.snapshot``), so a running pipeline never blocks them.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from omniretail.platform.config import Settings, get_settings
from omniretail.platform.engine.base import CANONICAL_DIALECT, AnalyticsEngine
from omniretail.platform.engine.duckdb import DuckDBEngine
from omniretail.platform.engine.snapshot import (
    NoPublishedSnapshot,
    open_published,
    published_engine,
    published_path,
    run_on_published,
)

__all__ = [
    "CANONICAL_DIALECT",
    "AnalyticsEngine",
    "DuckDBEngine",
    "NoPublishedSnapshot",
    "open_engine",
    "open_published",
    "publish_snapshot",
    "published_engine",
    "published_path",
    "run_on_published",
    "work_path",
]


def work_path(settings: Settings | None = None) -> Path:
    return (settings or get_settings()).analytics_dir / "work.duckdb"


def open_engine(name: str | None = None, settings: Settings | None = None) -> AnalyticsEngine:
    """Open the pipeline's writable engine (``duckdb`` default, or ``spark``)."""
    settings = settings or get_settings()
    settings.ensure_dirs()
    name = name or settings.engine
    if name == "duckdb":
        return DuckDBEngine(
            work_path(settings),
            threads=settings.duckdb_threads,
            memory_limit=settings.duckdb_memory_limit,
        )
    if name == "spark":
        import importlib

        spark = importlib.import_module("omniretail.platform.engine.spark")  # optional extra
        engine: AnalyticsEngine = spark.SparkEngine(settings=settings)
        return engine
    raise ValueError(f"unknown analytics engine {name!r}; choose 'duckdb' or 'spark'")


def publish_snapshot(settings: Settings | None = None, *, engine: str = "duckdb") -> Path:
    """Publish the pipeline's tables for readers, atomically (write aside, then rename).

    ``duckdb``: a copy of the work database. ``spark``: a DuckDB file built from the Spark
    warehouse's Parquet tables (the readers — console, API — query one local snapshot either
    way; at scale the warehouse lives on object storage and only serving tables come here)."""
    settings = settings or get_settings()
    dst = published_path(settings)
    tmp = dst.with_suffix(".duckdb.tmp")
    tmp.unlink(missing_ok=True)
    if engine == "spark":
        from omniretail.platform.engine.warehouse import snapshot_from_warehouse

        snapshot_from_warehouse(settings.analytics_dir / "spark", tmp)
    else:
        shutil.copyfile(work_path(settings), tmp)
    os.replace(tmp, dst)
    return dst
