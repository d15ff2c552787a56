"""JSON routes: a customer's model scores and the lifetime-value / churn model reports."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from omniretail.insight.clv import serving
from omniretail.platform.auth.deps import ApiPrincipal, DbSession
from omniretail.platform.auth.scope import store_scope

router = APIRouter(tags=["models"])


@router.get("/customers/{customer_id}/scores")
def get_customer_scores(customer_id: str, principal: ApiPrincipal, db: DbSession) -> dict[str, Any]:
    """P(alive), expected purchases/value (90/180/365 days), churn risk with its top factors,
    next purchase date and replenishment due dates of one customer (store-limited users: only
    customers of their stores)."""
    principal.require("read")
    return serving.customer_scores(
        customer_id=customer_id,
        store_codes=store_scope(principal).codes(),
    )


@router.get("/models/clv")
def get_clv_model(principal: ApiPrincipal) -> dict[str, Any]:
    """BG/NBD + Gamma-Gamma parameters, log-likelihood, calibration fit and backtest."""
    principal.require("read")
    return serving.model_report(model="clv")


@router.get("/models/churn")
def get_churn_model(principal: ApiPrincipal) -> dict[str, Any]:
    """Churn model: AUC, Brier score, reliability bins and coefficients on a time split."""
    principal.require("read")
    return serving.model_report(model="churn")
