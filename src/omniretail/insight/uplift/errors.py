"""Errors a user of the uplift models can act on."""

from __future__ import annotations

from omniretail.platform.errors import InvalidInput


class InvalidCampaignData(InvalidInput):
    """The campaign (treatment/holdout) data cannot be used as given."""
