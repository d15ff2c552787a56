"""The 模型 area's hub: one card per model page with what it answers and whether it has been fitted.

The pages themselves belong to their insight packages (``/models/clv``, ``/models/churn``,
``/models/recommendations`` with 新品找人, ``/omnichannel/forecast``); the hub is how the
navigation reaches them. A model that has not been fitted says so instead of showing a number.
"""

from __future__ import annotations

from dataclasses import dataclass

from omniretail.insight.clv import serving as clv_serving
from omniretail.insight.recommend import service as recommend_service
from omniretail.platform.errors import DomainError
from omniretail.platform.i18n import N_


@dataclass(frozen=True)
class ModelCard:
    key: str
    title: str  # message id
    summary: str  # message id
    href: str
    icon: str
    fitted: bool | None  # None: the page has no fitted state (a form, a forecast run on demand)
    as_of: str | None = None


def _clv_status(model: str) -> tuple[bool, str | None]:
    try:
        report = clv_serving.model_report(model=model)
    except (DomainError, OSError):
        return False, None
    as_of = report.get("as_of") or report.get("scored_as_of")
    return True, str(as_of)[:10] if as_of else None


def _recs_status() -> bool:
    try:
        return bool(recommend_service.model_metrics())
    except (DomainError, OSError):
        return False


def model_cards() -> list[ModelCard]:
    clv_fitted, clv_as_of = _clv_status("clv")
    churn_fitted, churn_as_of = _clv_status("churn")
    recs_fitted = _recs_status()
    return [
        ModelCard(
            "clv",
            N_("Customer lifetime value"),
            N_(
                "Expected purchases and spend of each member over the next year, with the "
                "model's calibration."
            ),
            "/models/clv",
            "wallet",
            clv_fitted,
            clv_as_of,
        ),
        ModelCard(
            "churn",
            N_("Churn risk"),
            N_("Which members are likely to stop buying, and the reasons the model gives."),
            "/models/churn",
            "users",
            churn_fitted,
            churn_as_of,
        ),
        ModelCard(
            "recommendations",
            N_("Recommendation model"),
            N_(
                "The recommenders compared offline: which one suggests products members go on "
                "to buy."
            ),
            "/models/recommendations",
            "shopping-bag",
            recs_fitted,
        ),
        ModelCard(
            "new-product",
            N_("Find customers for a new product"),
            N_(
                "Describe a product that has no sales yet and get the members most likely to "
                "buy it."
            ),
            "/models/recommendations#new-product",
            "tags",
            None,
        ),
        ModelCard(
            "forecast",
            N_("Demand forecast"),
            N_("Sales forecast per store and product, with the replenishment it suggests."),
            "/omnichannel/forecast",
            "trending-up",
            None,
        ),
    ]
