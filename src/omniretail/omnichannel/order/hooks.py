"""Order listeners: what other parts of the retail core do when an order is created, cancelled
or returned, without the order service importing them.

The order service sits beside the stock ledger (``order | inventory`` are independent siblings),
so it cannot move stock itself. Fulfilment, which sits above both, registers a listener (in its
module ``order_hooks``) that takes an in-store sale's units off the store's shelf, puts returned
units back and restocks a cancelled counter sale. Listeners run inside the order's transaction
(and its savepoint on create): a listener that raises undoes the whole write.

Listeners are found like pricing providers: every module named ``order_hooks`` in the package
is imported the first time an order event is emitted.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

from sqlalchemy.orm import Session

from omniretail.omnichannel.order.models import SalesOrder

OrderEventKind = Literal["created", "cancelled", "returned"]


@dataclass(frozen=True)
class ReturnedUnits:
    line_no: int
    sku: str
    quantity: int


@dataclass(frozen=True)
class OrderEvent:
    kind: OrderEventKind
    order: SalesOrder
    previous_status: str | None = None  # before a cancel or a return
    returned: tuple[ReturnedUnits, ...] = ()  # the units of this return
    key: str | None = None  # the idempotency key of the change (returns)
    # a return that the fulfilment's RMA already took in (restocked at the receiving store,
    # counted against what was sold): listeners must not restock or count it again
    via_rma: bool = False


class OrderListener(Protocol):
    def __call__(self, session: Session, event: OrderEvent) -> None: ...


_listeners: list[OrderListener] = []
_discovered = False


def register_order_listener(listener: OrderListener) -> None:
    if listener not in _listeners:
        _listeners.append(listener)


def emit(session: Session, event: OrderEvent) -> None:
    global _discovered
    if not _discovered:
        from omniretail.platform.registry import modules_named

        modules_named("order_hooks")
        _discovered = True
    for listener in list(_listeners):
        listener(session, event)
