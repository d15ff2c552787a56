"""Fitting the lifetime-value models on a transaction file and reporting how well they fit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from omniretail.insight.clv import evaluation
from omniretail.insight.clv.base import FloatArray
from omniretail.insight.clv.bgnbd import BetaGeoModel
from omniretail.insight.clv.gammagamma import GammaGammaModel
from omniretail.insight.clv.paretonbd import ParetoNBDModel
from omniretail.insight.clv.summary import SummarySpec, period_days, summary_sql
from omniretail.insight.history.errors import SummaryInvalid, TransactionsInvalid
from omniretail.insight.history.transactions import load_transactions
from omniretail.platform import export
from omniretail.platform.engine.base import AnalyticsEngine

MODELS: dict[str, type[BetaGeoModel] | type[ParetoNBDModel]] = {
    "bgnbd": BetaGeoModel,
    "paretonbd": ParetoNBDModel,
}


def make_transaction_model(name: str) -> BetaGeoModel | ParetoNBDModel:
    try:
        return MODELS[name]()
    except KeyError:
        raise SummaryInvalid(
            f"unknown model {name!r}; choose one of {sorted(MODELS)}", field="model"
        ) from None


@dataclass
class CustomerSummary:
    """Column arrays of the RFM summary (plus holdout columns when there is a holdout)."""

    customer_id: list[str]
    frequency: FloatArray
    recency: FloatArray
    T: FloatArray
    monetary: FloatArray  # NaN where a customer has no repeat purchase
    holdout_frequency: FloatArray | None = None

    @classmethod
    def from_arrow(cls, table: pa.Table) -> CustomerSummary:
        def col(name: str) -> FloatArray:
            return np.asarray(table.column(name).to_numpy(zero_copy_only=False), dtype=np.float64)

        return cls(
            customer_id=[str(v) for v in table.column("customer_id").to_pylist()],
            frequency=col("frequency"),
            recency=col("recency"),
            T=col("T"),
            monetary=col("monetary"),  # nulls (no repeat purchase) become NaN
            holdout_frequency=col("holdout_frequency")
            if "holdout_frequency" in table.column_names
            else None,
        )


def summarize(engine: AnalyticsEngine, spec: SummarySpec) -> CustomerSummary:
    """Run the summary SQL on the engine and return its columns as arrays."""
    table = engine.fetch_arrow(summary_sql(spec) + " ORDER BY customer_id")
    if table.num_rows == 0:
        raise TransactionsInvalid(
            "no customer purchased on or before the calibration end", field="calibration_end"
        )
    return CustomerSummary.from_arrow(table)


def fit_transactions(
    *,
    path: Path | None = None,
    customer_col: str | None = None,
    date_col: str | None = None,
    calibration_end: date,
    amount_col: str | None = None,
    quantity_col: str | None = None,
    period: str = "week",
    model: str = "bgnbd",
    per_customer_path: Path | None = None,
    source: str | None = None,
) -> dict[str, Any]:
    """Read a transaction file (or an imported ``source``), summarize it, fit the model(s),
    report fit and holdout."""
    from omniretail.platform.engine.duckdb import DuckDBEngine

    days = period_days(period)
    transaction_model = make_transaction_model(model)
    with DuckDBEngine() as engine:
        rows = load_transactions(
            engine,
            path=path,
            source=source,
            customer_col=customer_col,
            date_col=date_col,
            amount_col=amount_col,
            quantity_col=quantity_col,
        )
        if source is not None:
            amount_col = "amount"
        span = engine.fetch_rows(
            "SELECT CAST(min(purchased_at) AS DATE) AS first, "
            "CAST(max(purchased_at) AS DATE) AS last FROM transactions"
        )[0]
        last: date | None = span["last"]
        holdout_end = last if last is not None and last > calibration_end else None
        spec = SummarySpec(
            source="transactions",
            customer_col="customer_id",
            date_col="purchased_at",
            amount_col="amount" if amount_col else None,
            calibration_end=calibration_end,
            holdout_end=holdout_end,
            period=period,
        )
        summary = summarize(engine, spec)

    transaction_model.fit(summary.frequency, summary.recency, summary.T)
    report: dict[str, Any] = {
        "model": model,
        "period": period,
        **({"source": source} if source else {"file": path.name if path else None}),
        "rows": rows,
        "currency": rows.get("currency"),
        "first_purchase": str(span["first"]),
        "calibration_end": calibration_end.isoformat(),
        "customers": len(summary.customer_id),
        "repeat_buyers": int((summary.frequency > 0).sum()),
        "parameters": {k: round(v, 6) for k, v in transaction_model.summary().items()},
        "log_likelihood": round(float(transaction_model.log_likelihood_ or 0.0), 4),
        "converged": bool(transaction_model.converged_),
        "calibration_fit": evaluation.calibration_histogram(
            transaction_model, summary.frequency, summary.T
        ),
    }
    average_value: FloatArray | None = None
    if amount_col:
        repeat = summary.frequency > 0
        spend = np.where(repeat, np.nan_to_num(summary.monetary), 0.0)
        try:
            gg = GammaGammaModel().fit(summary.frequency, spend)
            average_value = gg.expected_average_value(summary.frequency, spend)
            report["spend_model"] = {
                "model": "gammagamma",
                "parameters": {k: round(v, 6) for k, v in gg.summary().items()},
                "repeat_buyers": gg.n_customers_,
                "log_likelihood": round(float(gg.log_likelihood_ or 0.0), 4),
                "population_mean_value": round(gg.population_mean_value(), 4),
                "corr_frequency_spend": round(
                    float(np.corrcoef(summary.frequency[repeat], spend[repeat])[0, 1]), 4
                )
                if repeat.sum() > 2
                else None,
            }
        except SummaryInvalid as exc:
            report["spend_model"] = {"model": "gammagamma", "error": exc.detail}

    predicted: FloatArray | None = None
    if holdout_end is not None and summary.holdout_frequency is not None:
        t_star = (holdout_end - calibration_end).days / days
        predicted = transaction_model.expected_purchases(
            t_star, summary.frequency, summary.recency, summary.T
        )
        report["holdout"] = {
            "end": holdout_end.isoformat(),
            "length_periods": round(t_star, 4),
            **evaluation.holdout_comparison(
                predicted, summary.holdout_frequency, summary.frequency
            ),
        }
    if per_customer_path is not None:
        write_per_customer(per_customer_path, summary, transaction_model, predicted, average_value)
        report["per_customer_file"] = str(per_customer_path)
    return report


def write_per_customer(
    path: Path,
    summary: CustomerSummary,
    model: BetaGeoModel | ParetoNBDModel,
    predicted: FloatArray | None,
    average_value: FloatArray | None,
) -> None:

    cols: dict[str, Any] = {
        "customer_id": summary.customer_id,
        "frequency": summary.frequency,
        "recency": summary.recency,
        "T": summary.T,
        "p_alive": model.probability_alive(summary.frequency, summary.recency, summary.T),
    }
    if predicted is not None and summary.holdout_frequency is not None:
        cols["holdout_predicted"] = predicted
        cols["holdout_actual"] = summary.holdout_frequency
    if average_value is not None:
        cols["expected_average_value"] = average_value
    export.write_arrow_csv(pa.table(cols), path)
