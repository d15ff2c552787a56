"""Reading published scores and model reports for the API and the console."""

from __future__ import annotations

import json
import math
from datetime import date, datetime
from typing import Any

from omniretail.insight.clv.tables import MODELS_TABLE, REPLENISHMENT_TABLE, SCORES_TABLE
from omniretail.platform.engine.snapshot import published_engine
from omniretail.platform.errors import NotFound
from omniretail.platform.i18n import N_

NOT_FITTED = N_("The model has not been fitted yet: it is fitted when the data pipeline runs.")


def _clean(value: Any) -> Any:
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


def customer_scores(*, customer_id: str, store_codes: list[str] | None = None) -> dict[str, Any]:
    """One customer's scores and replenishment due dates from the published snapshot.

    With ``store_codes`` (a store-limited user), only customers whose home store is one of
    them are found; others look absent.
    """
    with published_engine() as engine:
        if not engine.table_exists(SCORES_TABLE):
            raise NotFound("customer scores have not been computed yet", field="customer_id")
        rows = engine.fetch_rows(
            f"SELECT * FROM {SCORES_TABLE} WHERE customer_id = ?", [customer_id]
        )
        if rows and store_codes is not None:
            home = (
                engine.scalar(
                    "SELECT home_store_code FROM customers WHERE customer_id = ?", [customer_id]
                )
                if engine.table_exists("customers")
                else None
            )
            if home not in store_codes:
                rows = []
        if not rows:
            raise NotFound(f"no scores for customer {customer_id!r}", field="customer_id")
        replenish: list[dict[str, Any]] = []
        if engine.table_exists(REPLENISHMENT_TABLE):
            replenish = engine.fetch_rows(
                "SELECT category_code, category_name, usual_interval_days, interval_source, "
                "last_purchase_day, due_date, due_in_days, message_zh, message_en "
                f"FROM {REPLENISHMENT_TABLE} WHERE customer_id = ? ORDER BY due_date",
                [customer_id],
            )
    scores = {k: _clean(v) for k, v in rows[0].items()}
    scores["replenishment"] = [{k: _clean(v) for k, v in r.items()} for r in replenish]
    return scores


def model_report(*, model: str) -> dict[str, Any]:
    """The latest report (parameters, metrics, calibration) of ``clv`` or ``churn``."""
    with published_engine() as engine:
        if not engine.table_exists(MODELS_TABLE):
            raise NotFound("the models have not been fitted yet", field="model", message=NOT_FITTED)
        rows = engine.fetch_rows(
            f"SELECT as_of, fitted_at, report FROM {MODELS_TABLE} WHERE model = ?", [model]
        )
    if not rows:
        raise NotFound(f"no report for model {model!r}", field="model", message=NOT_FITTED)
    report: dict[str, Any] = json.loads(rows[0]["report"])
    report["fitted_at"] = _clean(rows[0]["fitted_at"])
    return report
