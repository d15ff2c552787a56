"""Fulfilment state changes and returns reach Customer 360's timeline through the events path:
each arrives as a Segment ``track`` event in the event inbox (idempotent on its messageId),
under the order's channel as the source (``userId`` is that channel's customer id), and is
drained, standardised and unified like any other event."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from omniretail.cdp.ingest.events import store_events
from omniretail.omnichannel.fulfillment.hooks import register_timeline_sink


def fulfilment_event_to_inbox(session: Session, event: dict[str, Any]) -> None:
    source = str((event.get("context") or {}).get("channel") or "fulfilment")
    store_events(session.connection(), source=source, events=[dict(event)], endpoint="fulfilment")


register_timeline_sink(fulfilment_event_to_inbox)
