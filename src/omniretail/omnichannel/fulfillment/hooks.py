"""Extension points other domains register, so omnichannel never imports them.

- A **timeline sink** receives every fulfilment state change as a Segment-style ``track`` event
  (``userId`` = the customer id) — the CDP registers one that puts it on the events path, so
  Customer 360's timeline shows it.
- A **return hook** reverses what a returned sale earned or used — marketing registers one that
  reverses loyalty points and restores coupons through their ledgers.

Domains register in a module named ``omnichannel_hooks`` (found like ``api``/``pages`` modules),
imported the first time a hook is needed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy.orm import Session


@dataclass(frozen=True)
class ReturnedLine:
    line_ref: str
    sku: str
    quantity: int
    refund_fen: int


@dataclass(frozen=True)
class ReturnContext:
    return_key: str
    order_ref: str
    customer_id: str | None
    channel: str
    store_code: str
    lines: tuple[ReturnedLine, ...]
    refund_fen: int
    order_total_fen: int  # what the returned lines' order paid in total (for proportions)
    bought_channel: str = ""  # where the order was bought (the points' source)
    fully_returned: bool = False  # every unit of the order has now come back


class TimelineSink(Protocol):
    def __call__(self, session: Session, event: dict[str, Any]) -> None: ...


class ReturnHook(Protocol):
    name: str

    def __call__(self, session: Session, ctx: ReturnContext) -> dict[str, Any]:
        """Reverse what the returned units earned/used; return what was done (for the RMA)."""
        ...


_sinks: list[TimelineSink] = []
_return_hooks: dict[str, ReturnHook] = {}
_discovered = False


def register_timeline_sink(sink: TimelineSink) -> None:
    if sink not in _sinks:
        _sinks.append(sink)


def register_return_hook(hook: ReturnHook) -> None:
    _return_hooks[hook.name] = hook


def _discover() -> None:
    global _discovered
    if not _discovered:
        _discovered = True
        from omniretail.platform.registry import modules_named

        modules_named("omnichannel_hooks")


def timeline_sinks() -> list[TimelineSink]:
    _discover()
    return list(_sinks)


def return_hooks() -> list[ReturnHook]:
    _discover()
    return [_return_hooks[k] for k in sorted(_return_hooks)]
