"""Pipeline step: review analysis for the monthly customer-experience report (order 540).

Each review of the recent months (``MONTHS`` back from the newest review) is scored once —
review sentiment, the aspects of its negative sentences with their cue words and an example —
into ``ins_review_analysis``; a re-run analyses only reviews it has not seen (a full refresh
starts over). The console's report reads this table with ``reviews`` and ``dim_store`` from the
published snapshot."""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from omniretail.insight.voice.report import analyse
from omniretail.platform.pipeline import PipelineContext, step

TABLE = "ins_review_analysis"
MONTHS = 2  # the report's month and the month it is compared with
COLUMNS = ("review_id", "score", "negative", "neg_aspects", "neg_keywords", "examples")


def _recent_sql(months: int, *, incremental: bool) -> str:
    seen = f"AND r.review_id NOT IN (SELECT review_id FROM {TABLE})" if incremental else ""
    return (
        "SELECT CAST(r.review_id AS VARCHAR) AS review_id, r.text FROM reviews r "
        "WHERE r.review_id IS NOT NULL AND r.created_at >= "
        f"(SELECT date_trunc('month', max(created_at)) - INTERVAL {months - 1} MONTH "
        f"FROM reviews) {seen}"
    )


@step("insight.voice", order=540)
def analyse_reviews(ctx: PipelineContext) -> dict[str, Any]:
    e = ctx.engine
    if not e.table_exists("reviews"):
        return {"skipped": "no reviews"}
    incremental = not ctx.full_refresh and e.table_exists(TABLE)
    todo = e.fetch_arrow(_recent_sql(MONTHS, incremental=incremental)).to_pandas()
    if len(todo):
        fresh = analyse(todo, id_col="review_id", text_col="text")
        table = pa.Table.from_pandas(fresh[list(COLUMNS)], preserve_index=False)
    else:
        table = pa.table(
            {
                "review_id": pa.array([], pa.string()),
                "score": pa.array([], pa.float64()),
                "negative": pa.array([], pa.bool_()),
                "neg_aspects": pa.array([], pa.string()),
                "neg_keywords": pa.array([], pa.string()),
                "examples": pa.array([], pa.string()),
            }
        )
    if incremental:
        e.register_arrow("ins_review_analysis_new", table, scratch=True)
        e.materialize(
            TABLE,
            f"SELECT * FROM {TABLE} UNION ALL SELECT * FROM ins_review_analysis_new",
        )
        e.execute("DROP TABLE IF EXISTS ins_review_analysis_new")
    else:
        e.register_arrow(TABLE, table)
    return {
        "mode": "incremental" if incremental else "full",
        "analysed": len(todo),
        "reviews": int(e.scalar(f"SELECT count(*) FROM {TABLE}") or 0),
    }
