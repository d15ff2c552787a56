"""Community errors, each naming the problem in Chinese (the console) and English."""

from __future__ import annotations

from typing import Any

from omniretail.platform.errors import Conflict, DomainError, InvalidInput, NotFound


class CommunityError(DomainError):
    reason: str = "community"

    def __init__(self, zh: str, en: str, *, field: str | None = None, **extra: Any) -> None:
        super().__init__(en, field=field, reason=self.reason, message_zh=zh, **extra)
        self.message_zh = zh


class UnknownGroup(CommunityError, NotFound):
    type_suffix = "community-unknown-group"
    reason = "unknown_group"


class UnknownCode(CommunityError, NotFound):
    type_suffix = "community-unknown-code"
    reason = "unknown_code"


class UnknownCampaign(CommunityError, NotFound):
    type_suffix = "community-unknown-campaign"
    reason = "unknown_campaign"


class CodeClosed(CommunityError, Conflict):
    type_suffix = "community-code-closed"
    reason = "code_closed"


class GroupsFull(CommunityError, Conflict):
    """Every group of a live code has its 200 members: the operator is asked for a new one."""

    type_suffix = "community-groups-full"
    reason = "groups_full"


class InvalidCommunity(CommunityError, InvalidInput):
    type_suffix = "community-invalid"
    reason = "invalid"
