"""The monthly customer-experience report from the published snapshot: the reviews of a month
and the month before with their analysis (``ins_review_analysis``, written by the pipeline),
store region and city from ``dim_store``; optionally narrowed to one SKU, store, channel or
region (the drill-down)."""

from __future__ import annotations

import re
from typing import Any

import pandas as pd

from omniretail.insight.voice.errors import BadReportInput
from omniretail.insight.voice.report import MonthlyReport, build_report
from omniretail.platform.engine.snapshot import require_tables

DRILL = ("sku", "store_code", "channel", "region")
MONTH = re.compile(r"\d{4}-(0[1-9]|1[0-2])")


def months(engine: Any) -> list[str]:
    """Months with analysed reviews, newest first."""
    require_tables(engine, "reviews", "ins_review_analysis")
    rows = engine.fetch_rows(
        "SELECT DISTINCT strftime(r.created_at, '%Y-%m') AS m FROM reviews r "
        "JOIN ins_review_analysis a ON a.review_id = CAST(r.review_id AS VARCHAR) "
        "WHERE r.created_at IS NOT NULL ORDER BY m DESC"
    )
    return [str(r["m"]) for r in rows]


def monthly_report(
    engine: Any, *, month: str, dim: str | None = None, key: str | None = None
) -> MonthlyReport:
    if not MONTH.fullmatch(month):
        raise BadReportInput(f"月份格式应为 YYYY-MM，收到 {month!r}", field="month")
    if dim is not None and dim not in DRILL:
        raise BadReportInput(f"不能按 {dim!r} 下钻（可选：{'、'.join(DRILL)}）", field="dim")
    require_tables(engine, "reviews", "ins_review_analysis")
    start = pd.Period(month, freq="M")
    lo, hi = (start - 1).start_time, (start + 1).start_time
    store_cols = (
        "s.region, s.city" if engine.table_exists("dim_store") else "NULL AS region, NULL AS city"
    )
    join = (
        "LEFT JOIN dim_store s ON s.store_code = r.store_code"
        if engine.table_exists("dim_store")
        else ""
    )
    df = engine.fetch_arrow(
        "SELECT CAST(r.review_id AS VARCHAR) AS review_id, r.created_at, "
        "CAST(r.sku AS VARCHAR) AS sku, r.store_code, r.source AS channel, "
        f"{store_cols}, a.score, a.negative, a.neg_aspects, a.neg_keywords, a.examples "
        "FROM reviews r JOIN ins_review_analysis a "
        f"ON a.review_id = CAST(r.review_id AS VARCHAR) {join} "
        "WHERE r.created_at >= ? AND r.created_at < ?",
        [lo.to_pydatetime(), hi.to_pydatetime()],
    ).to_pandas()
    if dim is not None and key is not None:
        df = df[df[dim].fillna("—").astype(str) == key]
    analysis = df[["review_id", "score", "negative", "neg_aspects", "neg_keywords", "examples"]]
    frame = df.drop(columns=["score", "negative", "neg_aspects", "neg_keywords", "examples"])
    return build_report(frame, analysis, month=month, time_col="created_at", nps_col=None)
