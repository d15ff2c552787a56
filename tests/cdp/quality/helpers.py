"""Test helpers: import files with a mapping and run the standardize step on a fresh instance."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from omniretail.cdp.ingest import service as ingest_service
from omniretail.cdp.ingest.mapping import parse_mapping
from omniretail.cdp.quality.pipeline import standardize_all
from omniretail.platform.config import get_settings
from omniretail.platform.db import session_scope
from omniretail.platform.engine import open_engine
from omniretail.platform.engine.base import AnalyticsEngine
from omniretail.platform.pipeline import PipelineContext


def import_text(mapping_yaml: str, files: list[Path], source: str | None = None) -> list[Any]:
    mapping = parse_mapping(mapping_yaml)
    with session_scope() as s:
        return ingest_service.import_files(
            s, source=source, mapping=mapping, mapping_text=mapping_yaml, files=files
        )


def standardize() -> tuple[AnalyticsEngine, dict[str, Any]]:
    """Run the step; returns the open engine (caller closes) and the step's result."""
    settings = get_settings()
    eng = open_engine(settings=settings)
    out = standardize_all(PipelineContext(engine=eng, settings=settings))
    return eng, out


def rows(eng: AnalyticsEngine, sql: str) -> list[dict[str, Any]]:
    return eng.fetch_rows(sql)
