"""Desk errors (Chinese messages naming the problem)."""

from __future__ import annotations

from omniretail.platform.errors import Conflict, InvalidInput, NotFound


class ConversationClosed(Conflict):
    """A reply to a closed session."""


class ReplyWindowExpired(Conflict):
    """WeCom allows replies only within 48 hours of the customer's last message."""


class TicketNotFound(NotFound):
    pass


class BadTicketInput(InvalidInput):
    pass
