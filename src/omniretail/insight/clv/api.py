"""JSON routes: a customer's model scores and the lifetime-value / churn model reports."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from omniretail.insight.clv import serving
from omniretail.insight.clv.schemas import CustomerScores, ModelReport
from omniretail.platform.auth.deps import ApiPrincipal, DbSession
from omniretail.platform.auth.scope import store_scope
from omniretail.platform.engine.snapshot import NOT_COMPUTED_RESPONSES

router = APIRouter(tags=["models"])
# a model report: not computed (nothing published) or not fitted (no report table or row yet)
REPORT_RESPONSES: dict[int | str, dict[str, Any]] = {
    **NOT_COMPUTED_RESPONSES,
    404: {"description": "The model has not been fitted yet (the pipeline's model step)"},
}


@router.get(
    "/customers/{customer_id}/scores",
    response_model=CustomerScores,
    responses=NOT_COMPUTED_RESPONSES,
)
def get_customer_scores(customer_id: str, principal: ApiPrincipal, db: DbSession) -> CustomerScores:
    """P(alive), expected purchases/value (90/180/365 days), churn risk with its top factors,
    next purchase date and replenishment due dates of one customer (store-limited users: only
    customers of their stores)."""
    principal.require("read")
    return CustomerScores.model_validate(
        serving.customer_scores(customer_id=customer_id, store_codes=store_scope(principal).codes())
    )


@router.get("/models/clv", response_model=ModelReport, responses=REPORT_RESPONSES)
def get_clv_model(principal: ApiPrincipal) -> ModelReport:
    """BG/NBD + Gamma-Gamma parameters, log-likelihood, calibration fit and backtest."""
    principal.require("read")
    return ModelReport.model_validate(serving.model_report(model="clv"))


@router.get("/models/churn", response_model=ModelReport, responses=REPORT_RESPONSES)
def get_churn_model(principal: ApiPrincipal) -> ModelReport:
    """Churn model: AUC, Brier score, reliability bins and coefficients on a time split."""
    principal.require("read")
    return ModelReport.model_validate(serving.model_report(model="churn"))
