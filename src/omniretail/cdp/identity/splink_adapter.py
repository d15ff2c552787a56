"""Splink on our analytics engine: the engine adapter gives Splink's database API
(``AnalyticsEngine.splink_api``).

Splink runs its SQL on the same connection (DuckDB) or session (Spark) as the pipeline, so
its inputs are our work tables and its outputs are tables we can join without copying.
"""

from __future__ import annotations

import logging
from typing import Any

from omniretail.platform.engine.base import AnalyticsEngine


def splink_db_api(engine: AnalyticsEngine) -> Any:
    """The Splink database API bound to ``engine``'s connection."""
    api = engine.splink_api()
    logging.getLogger("splink").setLevel(logging.WARNING)
    return api
