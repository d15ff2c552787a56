"""Stable customer ids across re-runs (客户编号稳定).

The previous run's ``identity_map`` is kept as Parquet under ``analytics/identity/``. A new
cluster inherits the previous id held by most of its records (ties: the oldest id); an old
id goes to the one cluster that holds most of its records (ties: the part that was not split
off by a manual unmerge, then the one with the record seen first). Clusters left without an id get
new ones (``C`` + 9 digits, never reused: a high-water mark is kept). Every change — new,
merged into another, split from another, gone — is written to ``identity_changes`` and
appended to the change log.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path

from omniretail.platform.config import Settings
from omniretail.platform.engine.base import AnalyticsEngine

ID_PREFIX = "C"
ID_DIGITS = 9


def state_dir(settings: Settings) -> Path:
    return settings.analytics_dir / "identity"


def previous_map_path(settings: Settings) -> Path:
    return state_dir(settings) / "identity_map.parquet"


def _state_file(settings: Settings) -> Path:
    return state_dir(settings) / "state.json"


def _high_water(settings: Settings) -> int:
    path = _state_file(settings)
    if not path.exists():
        return 0
    return int(json.loads(path.read_text(encoding="utf-8")).get("last_customer_number", 0))


def load_previous(engine: AnalyticsEngine, settings: Settings) -> int:
    """``_idr_prev(record_key, customer_id)`` from the previous run (empty on the first)."""
    path = previous_map_path(settings)
    if path.exists():
        engine.register_parquet("_idr_prev_file", path)
        engine.materialize(
            "_idr_prev", "SELECT record_key, customer_id FROM _idr_prev_file", scratch=True
        )
        engine.drop("_idr_prev_file")
    else:
        engine.materialize(
            "_idr_prev",
            "SELECT CAST(NULL AS VARCHAR) AS record_key, CAST(NULL AS VARCHAR) AS customer_id"
            " WHERE FALSE",
            scratch=True,
        )
    return int(engine.scalar("SELECT count(*) FROM _idr_prev"))


def assign_ids(engine: AnalyticsEngine, settings: Settings, labels: str) -> dict[str, int]:
    """``_idr_ids(cluster, customer_id)`` for every cluster of ``labels(node, cluster)`` and
    ``identity_changes``. ``labels`` must cover every node of ``_idr_records``."""
    # records split off by a manual unmerge are the ones that leave (left side of cannot-links)
    split_off = (
        "(SELECT DISTINCT left_node AS node FROM _idr_cannot)"
        if engine.table_exists("_idr_cannot")
        else "(SELECT CAST(NULL AS BIGINT) AS node WHERE FALSE)"
    )
    engine.materialize(
        "_idr_votes",
        f"""
        SELECT l.cluster, p.customer_id, count(*) AS n, min(r.seen_at) AS oldest,
               bool_or(x.node IS NOT NULL) AS split_off
        FROM {labels} l JOIN _idr_records r USING (node) JOIN _idr_prev p USING (record_key)
        LEFT JOIN {split_off} x USING (node)
        GROUP BY l.cluster, p.customer_id
        """,
        scratch=True,
    )
    engine.materialize(
        "_idr_heirs",
        """
        SELECT customer_id, cluster, n FROM (
            SELECT *, row_number() OVER (
                PARTITION BY customer_id
                ORDER BY n DESC, split_off, oldest NULLS LAST, cluster) AS rn
            FROM _idr_votes) WHERE rn = 1
        """,
        scratch=True,
    )
    engine.materialize(
        "_idr_kept",
        """
        SELECT cluster, customer_id FROM (
            SELECT *, row_number() OVER (PARTITION BY cluster ORDER BY n DESC, customer_id) AS rn
            FROM _idr_heirs) WHERE rn = 1
        """,
        scratch=True,
    )
    previous_max = engine.scalar(
        f"SELECT max(CAST(substr(customer_id, 2) AS BIGINT)) FROM _idr_prev"
        f" WHERE customer_id LIKE '{ID_PREFIX}%'"
    )
    base = max(_high_water(settings), int(previous_max or 0))
    engine.materialize(
        "_idr_ids",
        f"""
        WITH clusters AS (SELECT DISTINCT cluster FROM {labels}),
        fresh AS (
            SELECT c.cluster, row_number() OVER (ORDER BY c.cluster) + {base} AS num
            FROM clusters c LEFT JOIN _idr_kept k USING (cluster)
            WHERE k.cluster IS NULL
        )
        SELECT cluster, customer_id, FALSE AS is_new FROM _idr_kept
        UNION ALL
        SELECT cluster, '{ID_PREFIX}' || lpad(CAST(num AS VARCHAR), {ID_DIGITS}, '0'), TRUE
        FROM fresh
        """,
        scratch=True,
    )
    engine.materialize(
        "identity_changes",
        """
        WITH ids AS (SELECT * FROM _idr_ids),
        merged AS (  -- an old id whose winning cluster kept another id
            SELECT h.customer_id, 'merged' AS change, i.customer_id AS related_customer_id,
                   h.n AS records
            FROM _idr_heirs h JOIN ids i USING (cluster) WHERE i.customer_id <> h.customer_id
        ),
        split AS (  -- a new id for records that carried an old id kept elsewhere
            SELECT i.customer_id, 'split' AS change, v.customer_id AS related_customer_id,
                   v.n AS records
            FROM ids i JOIN _idr_votes v USING (cluster)
            WHERE i.is_new
        ),
        created AS (
            SELECT i.customer_id, 'new' AS change, CAST(NULL AS VARCHAR) AS related_customer_id,
                   CAST(NULL AS BIGINT) AS records
            FROM ids i WHERE i.is_new
              AND NOT EXISTS (SELECT 1 FROM _idr_votes v WHERE v.cluster = i.cluster)
        ),
        gone AS (
            SELECT DISTINCT p.customer_id, 'gone' AS change,
                   CAST(NULL AS VARCHAR) AS related_customer_id, CAST(NULL AS BIGINT) AS records
            FROM _idr_prev p
            WHERE NOT EXISTS (SELECT 1 FROM _idr_heirs h WHERE h.customer_id = p.customer_id)
        )
        SELECT * FROM merged UNION ALL SELECT * FROM split
        UNION ALL SELECT * FROM created UNION ALL SELECT * FROM gone
        """,
    )
    counts = {
        row["change"]: int(row["n"])
        for row in engine.fetch_rows(
            "SELECT change, count(DISTINCT customer_id) AS n FROM identity_changes GROUP BY 1"
        )
    }
    top = engine.scalar(
        f"SELECT max(CAST(substr(customer_id, 2) AS BIGINT)) FROM _idr_ids"
        f" WHERE customer_id LIKE '{ID_PREFIX}%'"
    )
    _save_high_water(settings, max(base, int(top or 0)))
    return counts


def _save_high_water(settings: Settings, value: int) -> None:
    path = _state_file(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({"last_customer_number": value}), encoding="utf-8")
    os.replace(tmp, path)


def persist(engine: AnalyticsEngine, settings: Settings) -> None:
    """Keep this run's identity map for the next run and append the change log."""
    directory = state_dir(settings)
    directory.mkdir(parents=True, exist_ok=True)
    tmp = directory / "identity_map.parquet.tmp"
    engine.write_parquet("SELECT record_key, customer_id FROM identity_map", tmp)
    os.replace(tmp, previous_map_path(settings))
    if engine.scalar("SELECT count(*) FROM identity_changes WHERE change <> 'new'"):
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
        engine.write_parquet(
            f"SELECT TIMESTAMP '{datetime.now(UTC):%Y-%m-%d %H:%M:%S}' AS run_at, *"
            " FROM identity_changes WHERE change <> 'new'",
            directory / "changes" / f"{stamp}.parquet",
        )
