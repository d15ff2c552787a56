"""Errors of the models fitted on purchase histories (lifetime value, churn)."""

from __future__ import annotations

from omniretail.platform.errors import DomainError, InvalidInput


class SummaryInvalid(InvalidInput):
    """A (frequency, recency, T, monetary) summary that no model can take."""


class TransactionsInvalid(InvalidInput):
    """A transaction file that cannot be summarized (missing column, unparseable dates...)."""


class ModelNotFitted(DomainError):
    status = 409
    title = "Model not fitted"
