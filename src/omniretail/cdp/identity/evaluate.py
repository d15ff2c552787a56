"""Pairwise precision / recall of resolved customers against a demo world's ground truth.

A pair of records is *predicted* when both records have the same ``customer_id`` and *true*
when they belong to the same person. Pair counts come from cluster sizes (n·(n−1)/2 per
customer, per person and per customer×person cell), never from enumerating pairs. Records
without a person (test accounts) count as people of their own, so merging one is an error.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from omniretail.cdp.identity.errors import TruthMissing
from omniretail.platform.engine.base import AnalyticsEngine

TRUTH_FILE = "identity_truth.parquet"


def truth_file(directory: Path) -> Path:
    for candidate in (directory / "truth" / TRUTH_FILE, directory / TRUTH_FILE):
        if candidate.exists():
            return candidate
    raise TruthMissing(
        f"no {TRUTH_FILE} in {directory} or its truth/ folder (a demo world's output folder)",
        field="truth",
    )


def evaluate(
    engine: AnalyticsEngine, truth_dir: Path, mapping: str = "identity_map"
) -> dict[str, Any]:
    path = str(truth_file(truth_dir)).replace("'", "''")
    row = engine.fetch_rows(
        f"""
        WITH truth AS (
            SELECT source || ':' || source_record_id AS record_key,
                   coalesce(person_id, 'unowned:' || source || ':' || source_record_id)
                       AS person_id
            FROM read_parquet('{path}')
        ),
        j AS (SELECT m.customer_id, t.person_id FROM {mapping} m JOIN truth t USING (record_key)),
        cells AS (SELECT count(*) AS n FROM j GROUP BY customer_id, person_id),
        pred AS (SELECT count(*) AS n FROM j GROUP BY customer_id),
        real AS (SELECT count(*) AS n FROM j GROUP BY person_id)
        SELECT (SELECT count(*) FROM truth) AS truth_records,
               (SELECT count(*) FROM {mapping}) AS resolved_records,
               (SELECT count(*) FROM j) AS matched_records,
               (SELECT count(*) FROM pred) AS customers,
               (SELECT count(*) FROM real) AS persons,
               (SELECT coalesce(sum(n * (n - 1) / 2), 0) FROM cells) AS true_positive_pairs,
               (SELECT coalesce(sum(n * (n - 1) / 2), 0) FROM pred) AS predicted_pairs,
               (SELECT coalesce(sum(n * (n - 1) / 2), 0) FROM real) AS true_pairs
        """
    )[0]
    tp = float(row["true_positive_pairs"])
    pp = float(row["predicted_pairs"])
    tt = float(row["true_pairs"])
    precision = tp / pp if pp else 1.0
    recall = tp / tt if tt else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    out: dict[str, Any] = {k: int(v) for k, v in row.items()}
    out.update(precision=round(precision, 6), recall=round(recall, 6), f1=round(f1, 6))
    return out
