"""Errors a user of the recommenders can act on."""

from __future__ import annotations

from omniretail.platform.errors import InvalidInput, NotFound


class InvalidInteractions(InvalidInput):
    """The interaction data cannot be used as given (missing column, non-numeric weight...)."""


class UnknownAlgorithm(InvalidInput):
    """No recommender is registered under that name."""


class NotFitted(InvalidInput):
    """``fit`` must be called before predicting."""


class ColdStartUnsupported(InvalidInput):
    """The algorithm cannot score an item it has never seen (needs item attributes)."""


class UnknownItem(NotFound):
    """The product is not known to the model or the catalogue."""


class RecommendationsNotReady(NotFound):
    """No published recommendations yet (run the pipeline)."""
