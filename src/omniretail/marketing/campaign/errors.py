from __future__ import annotations

from omniretail.platform.errors import Conflict, InvalidInput, NotFound


class CampaignNotFound(NotFound):
    title = "Campaign not found"


class CampaignStateError(Conflict):
    title = "Campaign is not in the right state"


class CampaignInvalid(InvalidInput):
    title = "Invalid campaign"


class CampaignRunsFailed(Conflict):
    """Some due runs could not launch (each is audited; the others launched)."""

    title = "Some campaign runs failed"
