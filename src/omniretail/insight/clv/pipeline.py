"""Pipeline step ``customer_scores`` (order 600): model scores per customer for tags/segments.

Reads ``orders`` (and, when present, ``order_lines`` + ``dim_product`` for replenishment and
``events`` for churn features); writes to the snapshot:

- ``customer_scores``: customer_id, p_alive, expected_purchases_{90,180,365}d,
  expected_value_{90,180,365}d, expected_average_value, churn_risk, churn_top_factors
  (``"近90天未购买 / no purchase in 90 days"``), churn_factor_codes, next_purchase_date,
  next_replenishment_category, next_replenishment_due_date, replenishment_due_in_days,
  replenishment_due_categories (due within 7 days or overdue by at most 30), scored_at;
- ``customer_replenishment``: one row per customer × replenishable category with due date
  and zh/en message;
- ``customer_score_models``: (model, as_of, report JSON) for the API and console pages.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

import pandas as pd
import pyarrow as pa

from omniretail.insight.churn import service as churn_service
from omniretail.insight.churn.features import ORDERS_PURCHASES_SQL
from omniretail.insight.clv.scoring import score_orders
from omniretail.insight.clv.tables import MODELS_TABLE, SCORES_TABLE
from omniretail.insight.forecast import replenishment
from omniretail.insight.history.errors import SummaryInvalid
from omniretail.platform.engine.base import AnalyticsEngine
from omniretail.platform.pipeline import PipelineContext, step

DUE_SOON_DAYS = 7
OVERDUE_DAYS = 30  # longer overdue: the habit has probably lapsed


def _as_of(engine: AnalyticsEngine) -> date | None:
    value = engine.scalar(
        "SELECT CAST(max(ordered_at) AS DATE) FROM orders "
        "WHERE customer_id IS NOT NULL AND coalesce(status, 'paid') = 'paid'"
    )
    return value if isinstance(value, date) else None


def _replenishment_summary(engine: AnalyticsEngine) -> pd.DataFrame:
    # two categories due on the same day: the first by name, on every engine (arg_min alone
    # returns whichever row the engine met first)
    frame: pd.DataFrame = engine.fetch_arrow(
        f"""SELECT customer_id,
               arg_min(coalesce(category_name, category_code),
                       struct_pack(due := due_date,
                                   category := coalesce(category_name, category_code)))
                   FILTER (WHERE due_in_days >= -{OVERDUE_DAYS})
                   AS next_replenishment_category,
               min(due_date) FILTER (WHERE due_in_days >= -{OVERDUE_DAYS})
                   AS next_replenishment_due_date,
               min(due_in_days) FILTER (WHERE due_in_days >= -{OVERDUE_DAYS})
                   AS replenishment_due_in_days,
               list(coalesce(category_name, category_code)
                    ORDER BY due_date, coalesce(category_name, category_code))
                   FILTER (WHERE due_in_days BETWEEN -{OVERDUE_DAYS} AND {DUE_SOON_DAYS})
                   AS replenishment_due_categories
            FROM customer_replenishment GROUP BY customer_id"""
    ).to_pandas()
    return frame


#: column types that must not depend on the data (empty lists, all-null columns)
FIXED_TYPES: dict[str, pa.DataType] = {
    "customer_id": pa.string(),
    "churn_risk": pa.float64(),
    "churn_top_factors": pa.list_(pa.string()),
    "churn_factor_codes": pa.list_(pa.string()),
    "next_replenishment_category": pa.string(),
    "next_replenishment_due_date": pa.date32(),
    "replenishment_due_in_days": pa.int32(),
    "replenishment_due_categories": pa.list_(pa.string()),
    "next_purchase_date": pa.date32(),
    "scored_at": pa.date32(),
}


def _with_schema(scores: pd.DataFrame) -> pa.Table:
    """Arrow table with :data:`FIXED_TYPES` enforced (an all-empty column keeps its type)."""
    frame = scores.copy()
    frame["replenishment_due_in_days"] = frame["replenishment_due_in_days"].astype("Int32")
    table = pa.Table.from_pandas(frame, preserve_index=False)
    for name, typ in FIXED_TYPES.items():
        i = table.schema.get_field_index(name)
        column = table.column(i)
        if column.type == typ:
            continue
        if pa.types.is_null(column.type) or (
            pa.types.is_list(column.type) and pa.types.is_null(column.type.value_type)
        ):
            column = pa.array(column.to_pylist(), type=typ)
        else:
            column = column.cast(typ)
        table = table.set_column(i, name, column)
    return table


def build_scores(engine: AnalyticsEngine, *, as_of: date | None = None) -> dict[str, Any]:
    """Compute and materialize the score tables; returns a summary of what was done."""
    if not engine.table_exists("orders"):
        return {"skipped": "no orders table yet"}
    as_of = as_of or _as_of(engine)
    if as_of is None:
        return {"skipped": "no paid orders of identified customers"}
    clv = score_orders(engine, as_of)
    scores = clv.scores
    reports: dict[str, dict[str, Any]] = {"clv": clv.report}

    events = "events" if engine.table_exists("events") else None
    try:
        churn = churn_service.train_and_score(
            engine, purchases_sql=ORDERS_PURCHASES_SQL, as_of=as_of, events=events
        )
        scores = scores.merge(churn.scores, on="customer_id", how="left")
        reports["churn"] = churn.report
    except SummaryInvalid as exc:
        scores["churn_risk"] = float("nan")
        scores["churn_top_factors"] = [[] for _ in range(len(scores))]
        scores["churn_factor_codes"] = [[] for _ in range(len(scores))]
        reports["churn"] = {"skipped": exc.detail}

    replenish_rows = replenishment.build(engine, as_of)
    if replenish_rows:
        scores = scores.merge(_replenishment_summary(engine), on="customer_id", how="left")
    else:
        scores["next_replenishment_category"] = None
        scores["next_replenishment_due_date"] = pd.NaT
        scores["replenishment_due_in_days"] = float("nan")
        scores["replenishment_due_categories"] = [[] for _ in range(len(scores))]

    next_by_rate = pd.Timestamp(as_of) + pd.to_timedelta(
        scores["expected_days_to_next_purchase"].clip(upper=3650), unit="D"
    )
    due = pd.to_datetime(scores["next_replenishment_due_date"])
    due = due.where(due >= pd.Timestamp(as_of))
    scores["next_purchase_date"] = due.where(due < next_by_rate, next_by_rate).dt.date
    scores["next_replenishment_due_date"] = due.dt.date.where(due.notna(), None)
    scores["replenishment_due_categories"] = scores["replenishment_due_categories"].map(
        lambda v: list(v) if isinstance(v, list | tuple) or hasattr(v, "tolist") else []
    )
    scores["scored_at"] = pd.Timestamp(as_of)
    engine.register_arrow(SCORES_TABLE, _with_schema(scores))

    now = datetime.now().astimezone().replace(tzinfo=None)
    engine.register_arrow(
        MODELS_TABLE,
        pa.table(
            {
                "model": list(reports),
                "as_of": [as_of] * len(reports),
                "fitted_at": [now] * len(reports),
                "report": [
                    json.dumps(r, ensure_ascii=False, default=str) for r in reports.values()
                ],
            }
        ),
    )
    churn_report = reports["churn"]
    return {
        "as_of": as_of.isoformat(),
        "customers": len(scores),
        "clv_parameters": clv.report["parameters"],
        "clv_backtest_mae": clv.report["backtest"].get("mae"),
        "churn_auc": churn_report.get("test", {}).get("auc"),
        "replenishment_rows": replenish_rows,
    }


@step("customer_scores", order=600)
def customer_scores(ctx: PipelineContext) -> dict[str, Any]:
    """Model scores: P(alive), expected purchases/value, churn risk, replenishment due dates."""
    return build_scores(ctx.engine)
