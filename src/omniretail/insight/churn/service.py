"""Training, evaluating and scoring churn risk with a time-based split."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pandas as pd

from omniretail.insight.churn.features import feature_names, features_sql
from omniretail.insight.churn.model import ChurnRiskModel, evaluate
from omniretail.insight.history.errors import SummaryInvalid
from omniretail.platform.engine.base import AnalyticsEngine


@dataclass
class ChurnResult:
    model: ChurnRiskModel
    report: dict[str, Any]
    scores: pd.DataFrame = field(default_factory=pd.DataFrame)


def _frame(engine: AnalyticsEngine, sql: str) -> pd.DataFrame:
    frame: pd.DataFrame = engine.fetch_arrow(sql).to_pandas()
    return frame


def train_and_score(
    engine: AnalyticsEngine,
    *,
    purchases_sql: str,
    as_of: date,
    horizon_days: int = 90,
    events: str | None = None,
    top_k: int = 3,
    currency: str | None = "CNY",
) -> ChurnResult:
    """Evaluate on a time split, then refit on the latest labelled cutoff and score at ``as_of``.

    - test cutoff  = as_of − horizon (labels: purchases in the last ``horizon`` days);
    - train cutoff = test cutoff − horizon (labels fully before the test window starts);
    - the model used for scoring is refit on the test cutoff's labelled features.
    """
    names = feature_names(engine, events)
    ev = events if events and "events_30d" in names else None
    test_cut = as_of - timedelta(days=horizon_days)
    train_cut = test_cut - timedelta(days=horizon_days)
    train = _frame(
        engine, features_sql(purchases_sql, train_cut, horizon_days=horizon_days, events=ev)
    )
    test = _frame(
        engine, features_sql(purchases_sql, test_cut, horizon_days=horizon_days, events=ev)
    )
    if len(train) < 20 or train["churned"].nunique() < 2:
        raise SummaryInvalid(
            f"too little history for a churn model: {len(train)} customers bought before "
            f"{train_cut.isoformat()} (need 20 with both churned and retained ones)",
            field="orders",
        )
    held_out = ChurnRiskModel(names).fit(train, train["churned"])
    metrics = evaluate(test["churned"], held_out.churn_risk(test))
    final = ChurnRiskModel(names).fit(test, test["churned"])
    current = _frame(engine, features_sql(purchases_sql, as_of, events=ev))
    if current.empty:
        raise SummaryInvalid(f"no customer bought on or before {as_of.isoformat()}", field="orders")
    risk = final.churn_risk(current)
    factors = final.top_factors(current, k=top_k, currency=currency)
    scores = pd.DataFrame(
        {
            "customer_id": current["customer_id"].astype(str),
            "churn_risk": risk,
            "churn_top_factors": [[f.text for f in row] for row in factors],
            "churn_factor_codes": [[f.feature for f in row] for row in factors],
        }
    )
    report = {
        "model": "logistic_regression",
        "horizon_days": horizon_days,
        "label": f"no purchase in the {horizon_days} days after the cutoff",
        "train_cutoff": train_cut.isoformat(),
        "test_cutoff": test_cut.isoformat(),
        "scored_as_of": as_of.isoformat(),
        "train_customers": len(train),
        "test": metrics,
        "coefficients": final.coefficients(),
    }
    return ChurnResult(model=final, report=report, scores=scores)


def evaluate_file(
    *,
    path: Path | None = None,
    customer_col: str | None = None,
    date_col: str | None = None,
    amount_col: str | None = None,
    quantity_col: str | None = None,
    as_of: date | None = None,
    horizon_days: int = 90,
    top: int = 5,
    source: str | None = None,
    currency: str | None = None,
) -> dict[str, Any]:
    """The churn report for a transaction file — or an imported ``source`` (its standardized
    goods lines, see ``cdp.quality.purchases``) — with the riskiest customers and their
    factors; money in ``currency`` (default: the source's, else CNY)."""
    from omniretail.insight.churn.features import TRANSACTIONS_PURCHASES_SQL
    from omniretail.insight.history.transactions import load_transactions
    from omniretail.platform.engine.duckdb import DuckDBEngine

    if horizon_days < 1:
        raise SummaryInvalid("the horizon must be at least one day", field="horizon_days")
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
        currency = currency or rows.get("currency") or "CNY"
        last = engine.scalar("SELECT CAST(max(purchased_at) AS DATE) FROM transactions")
        result = train_and_score(
            engine,
            purchases_sql=TRANSACTIONS_PURCHASES_SQL,
            as_of=as_of or last,
            horizon_days=horizon_days,
            currency=currency,
        )
    riskiest = result.scores.sort_values("churn_risk", ascending=False).head(top)
    return {
        **({"source": source} if source else {"file": path.name if path else None}),
        "rows": rows,
        "currency": currency,
        **result.report,
        "riskiest": [
            {
                "customer_id": str(r["customer_id"]),
                "churn_risk": round(float(r["churn_risk"]), 4),
                "factors": list(r["churn_top_factors"]),
            }
            for r in riskiest.to_dict("records")
        ],
    }
