"""The agent's view of one ticket: the conversation, and beside it the customer's Customer 360
summary, their orders and open returns — read through the owning domains' services and masked
by the viewer's role like the rest of Customer 360."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from omniretail.care.desk import service
from omniretail.care.desk.models import Conversation, DeskMessage, Ticket
from omniretail.platform.auth.scope import store_scope
from omniretail.platform.errors import DomainError

OPEN_RETURN_STATES = ("received",)  # received in a store, refund not settled yet


@dataclass
class Workspace:
    ticket: Ticket
    conversation: Conversation | None
    messages: list[DeskMessage]
    customer: dict[str, Any] | None  # Customer 360 summary (masked for the viewer)
    orders: list[Any] = field(default_factory=list)  # the customer's fulfilments, newest first
    returns: list[Any] = field(default_factory=list)  # their returns not finished yet
    show_text: bool = True
    customer_hidden: bool = False  # the customer belongs to a store the viewer does not see


def _customer(
    session: Session, viewer: Any, customer_id: str
) -> tuple[dict[str, Any] | None, bool]:
    from omniretail.cdp.profile import service as profile_service

    try:
        customer = profile_service.get_visible_customer(session, viewer, customer_id)
    except DomainError:
        return None, True
    return profile_service.customer_summary(customer, viewer), False


def _orders(session: Session, customer_id: str) -> list[Any]:
    from omniretail.omnichannel.fulfillment import service as fulfillment_service

    return list(fulfillment_service.for_customer(session, customer_id=customer_id, limit=10))


def _open_returns(session: Session, customer_id: str, order_refs: set[str]) -> list[Any]:
    from omniretail.omnichannel.fulfillment import returns

    rows = returns.list_returns(session, limit=500)
    return [
        r
        for r in rows
        if (r.customer_id == customer_id or r.order_ref in order_refs)
        and r.status in OPEN_RETURN_STATES
    ]


def load(session: Session, *, ticket_id: int, viewer: Any) -> Workspace:
    ticket = service.get_ticket(session, ticket_id=ticket_id)
    conv = (
        service.get_conversation(session, conversation_id=ticket.conversation_id)
        if ticket.conversation_id
        else None
    )
    msgs = service.messages(session, conversation_id=conv.id) if conv is not None else []
    ws = Workspace(ticket, conv, msgs, None, show_text=bool(viewer.sees_personal_data))
    if ticket.customer_id:
        ws.customer, hidden = _customer(session, viewer, ticket.customer_id)
        # a chain-wide agent sees the orders of a customer not on file yet; a store-scoped one
        # only those of a customer of their stores
        ws.customer_hidden = hidden and not store_scope(viewer).all_stores
        if not ws.customer_hidden:
            ws.orders = _orders(session, ticket.customer_id)
            ws.returns = _open_returns(
                session, ticket.customer_id, {o.order_ref for o in ws.orders}
            )
    return ws
