"""Fulfilment KPIs per store and per region: pickup rate (collected / pickups whose outcome is
known: collected or not collected within the hold), no-show rate (not collected / the same),
median minutes from order to ready, and on-time delivery (delivered by the promised time /
delivered)."""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from omniretail.omnichannel.fulfillment.models import Delivery, Fulfilment
from omniretail.omnichannel.fulfillment.schemas import KpiRow
from omniretail.omnichannel.inventory import service as inventory


def _aware(v: datetime) -> datetime:
    return v if v.tzinfo else v.replace(tzinfo=UTC)


def kpis(
    session: Session,
    *,
    by: Literal["store", "region"] = "store",
    store_codes: Sequence[str] | None = None,
    since: datetime | None = None,
) -> list[KpiRow]:
    q = select(Fulfilment, Delivery).outerjoin(Delivery, Delivery.fulfilment_id == Fulfilment.id)
    if store_codes is not None:
        q = q.where(Fulfilment.store_code.in_(list(store_codes)))
    if since is not None:
        q = q.where(Fulfilment.placed_at >= since)
    acc: dict[str, _Acc] = defaultdict(_Acc)
    for f, d in session.execute(q):
        a = acc[(f.store_code or "—") if by == "store" else (f.region or "—")]
        a.orders += 1
        if f.mode == "pickup":
            a.pickups += 1
            a.ready += f.ready_at is not None
            a.picked_up += f.state == "picked_up"
            a.no_shows += f.cancel_reason == "no_show"
        elif d is not None:
            a.deliveries += 1
            if d.delivered_at is not None:
                a.delivered += 1
                a.on_time += bool(d.on_time)
        if f.ready_at is not None:
            a.minutes.append((_aware(f.ready_at) - _aware(f.placed_at)).total_seconds() / 60)
    names = {loc.code: loc.name for loc in inventory.list_locations(session)}
    return [
        KpiRow(
            key=key,
            name=names.get(key, key) if by == "store" else key,
            orders=a.orders,
            pickups=a.pickups,
            picked_up=a.picked_up,
            no_shows=a.no_shows,
            pickup_rate=round(a.picked_up / a.decided, 4) if a.decided else None,
            no_show_rate=round(a.no_shows / a.decided, 4) if a.decided else None,
            median_minutes_to_ready=round(statistics.median(a.minutes), 1) if a.minutes else None,
            deliveries=a.deliveries,
            delivered=a.delivered,
            on_time_rate=round(a.on_time / a.delivered, 4) if a.delivered else None,
        )
        for key, a in sorted(acc.items())
    ]


@dataclass
class _Acc:
    orders: int = 0
    pickups: int = 0
    ready: int = 0
    picked_up: int = 0
    no_shows: int = 0
    deliveries: int = 0
    delivered: int = 0
    on_time: int = 0
    minutes: list[float] = field(default_factory=list)

    @property
    def decided(self) -> int:
        """Pickups whose outcome is known: collected or not collected within the hold."""
        return self.picked_up + self.no_shows
