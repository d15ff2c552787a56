"""Availability across locations and allocation strategies that explain themselves.

Availability reads one SKU's level rows (one index range: ``(item_id, location_id)``) joined to
their locations, filtered by the channel's policy and, near a customer, by a bounding box and
the haversine distance. Allocation picks locations for an order's lines by the channel's
strategy — ``priority`` (the locations' priority order), ``most_stock``, ``nearest`` (within a
radius) or ``fewest_splits`` (as few locations as possible) — and says why, in Chinese and English.
Allocation does not hold stock: the caller reserves what it returns (and retries when a
concurrent order took the units first).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from omniretail.omnichannel.inventory.errors import InvalidQuantity, UnknownSku
from omniretail.omnichannel.inventory.models import (
    ChannelPolicy,
    StockItem,
    StockLevel,
    StockLocation,
)
from omniretail.omnichannel.inventory.schemas import (
    AllocationPart,
    AllocationResult,
    Availability,
    StockAtLocation,
)
from omniretail.platform.geo import haversine_km

STRATEGY_ZH = {
    "priority": "按优先级",
    "most_stock": "库存最多优先",
    "nearest": "距离最近优先",
    "fewest_splits": "最少拆单",
}


@dataclass(frozen=True)
class Policy:
    channel: str | None
    strategy: str = "priority"
    online: bool = False
    exclude_franchise: bool = False
    radius_km: float | None = None
    location_codes: tuple[str, ...] | None = None


def channel_policy(session: Session, channel: str | None) -> Policy:
    """The channel's allocation policy; a channel without one is an online channel allocated by
    priority, franchise stores excluded. ``None`` (the stores' own view) filters nothing."""
    if channel is None:
        return Policy(channel=None)
    row = session.scalar(select(ChannelPolicy).where(ChannelPolicy.channel_code == channel))
    if row is None:
        return Policy(channel=channel, online=True, exclude_franchise=True)
    return Policy(
        channel=channel,
        strategy=row.strategy,
        online=row.online,
        exclude_franchise=row.exclude_franchise,
        radius_km=row.radius_km,
        location_codes=tuple(row.location_codes) if row.location_codes else None,
    )


@dataclass(frozen=True, slots=True)
class _Loc:
    """The columns of a location allocation needs (plain values: no ORM objects per row)."""

    code: str
    name: str
    kind: str
    franchise: bool
    priority: int
    latitude: float | None
    longitude: float | None


@dataclass
class _Cand:
    loc: _Loc
    on_hand: int
    reserved: int
    available: int
    km: float | None


def _candidates(
    session: Session,
    *,
    sku: str,
    policy: Policy,
    lat: float | None,
    lng: float | None,
    radius_km: float | None,
    kind: str | None = None,
    pickup_only: bool = False,
) -> list[_Cand]:
    item_id = session.scalar(select(StockItem.id).where(StockItem.sku == sku))
    if item_id is None:
        raise UnknownSku(sku)
    q = (
        select(
            StockLocation.code,
            StockLocation.name,
            StockLocation.kind,
            StockLocation.franchise,
            StockLocation.priority,
            StockLocation.latitude,
            StockLocation.longitude,
            StockLevel.on_hand,
            StockLevel.reserved,
            StockLevel.safety_stock,
        )
        .join(StockLevel, StockLevel.location_id == StockLocation.id)
        .where(StockLevel.item_id == item_id, StockLocation.is_active.is_(True))
    )
    if policy.online:
        q = q.where(StockLocation.online.is_(True))
    if policy.exclude_franchise:
        q = q.where(StockLocation.franchise.is_(False))
    if policy.location_codes:
        q = q.where(StockLocation.code.in_(policy.location_codes))
    if kind:
        q = q.where(StockLocation.kind == kind)
    if pickup_only:  # the customer collects it there: only stores offering 门店自提
        q = q.where(StockLocation.pickup.is_(True))
    near = lat is not None and lng is not None and radius_km is not None
    if lat is not None and lng is not None and radius_km is not None:
        dlat = radius_km / 111.0
        dlng = radius_km / (111.0 * max(0.01, math.cos(math.radians(lat))))
        q = q.where(
            StockLocation.latitude.between(lat - dlat, lat + dlat),
            StockLocation.longitude.between(lng - dlng, lng + dlng),
        )
    out = []
    for (
        code,
        name,
        kind_,
        franchise,
        priority,
        la,
        ln,
        on_hand,
        reserved,
        safety,
    ) in session.execute(q):
        loc = _Loc(code, name, kind_, franchise, priority, la, ln)
        km = None
        if lat is not None and lng is not None and loc.latitude is not None:
            km = haversine_km(lat, lng, loc.latitude, loc.longitude or 0.0)
            if near and radius_km is not None and km > radius_km:
                continue
        out.append(_Cand(loc, on_hand, reserved, on_hand - reserved - safety, km))
    return out


def availability(
    session: Session,
    *,
    sku: str,
    channel: str | None = None,
    lat: float | None = None,
    lng: float | None = None,
    radius_km: float | None = None,
) -> Availability:
    """One SKU across every location the channel may sell from (within ``radius_km`` of
    ``lat``/``lng`` when given), nearest first when a position is given."""
    policy = channel_policy(session, channel)
    cands = _candidates(session, sku=sku, policy=policy, lat=lat, lng=lng, radius_km=radius_km)
    if lat is not None and lng is not None:
        cands.sort(key=lambda c: (c.km if c.km is not None else math.inf, c.loc.code))
    else:
        cands.sort(key=lambda c: (c.loc.priority, c.loc.code))
    return Availability(
        sku=sku,
        channel=channel,
        total_available=sum(max(c.available, 0) for c in cands),
        locations=[_at(c) for c in cands],
    )


def stores_with_stock_near(
    session: Session,
    *,
    sku: str,
    lat: float,
    lng: float,
    radius_km: float = 10.0,
    quantity: int = 1,
    channel: str | None = None,
) -> list[StockAtLocation]:
    """Stores within ``radius_km`` that can supply ``quantity`` units now, nearest first."""
    policy = channel_policy(session, channel)
    cands = _candidates(
        session, sku=sku, policy=policy, lat=lat, lng=lng, radius_km=radius_km, kind="store"
    )
    cands = [c for c in cands if c.available >= quantity]
    cands.sort(key=lambda c: (c.km or 0.0, c.loc.code))
    return [_at(c) for c in cands]


def _at(c: _Cand) -> StockAtLocation:
    return StockAtLocation(
        location=c.loc.code,
        name=c.loc.name,
        kind=c.loc.kind,
        franchise=c.loc.franchise,
        on_hand=c.on_hand,
        reserved=c.reserved,
        available=c.available,
        distance_km=round(c.km, 2) if c.km is not None else None,
    )


def allocate(
    session: Session,
    *,
    lines: Sequence[tuple[str, int]],
    channel: str | None = None,
    strategy: str | None = None,
    lat: float | None = None,
    lng: float | None = None,
    radius_km: float | None = None,
    kind: str | None = None,
    exclude: Sequence[str] = (),
    prefer: str | None = None,
    pickup_only: bool = False,
) -> AllocationResult:
    """Choose locations for ``lines`` ((sku, quantity), …) and explain the choice;
    ``pickup_only`` considers only locations offering 门店自提 (the customer collects there)."""
    policy = channel_policy(session, channel)
    strat = strategy or policy.strategy
    if strat not in STRATEGY_ZH:
        raise InvalidQuantity(0, field="strategy")
    radius = radius_km if radius_km is not None else policy.radius_km
    if strat == "nearest" and radius is None:
        radius = 10.0
    need: dict[str, int] = {}
    for sku, qty in lines:
        if qty <= 0:
            raise InvalidQuantity(qty)
        need[sku] = need.get(sku, 0) + qty
    cands = {
        sku: [
            c
            for c in _candidates(
                session,
                sku=sku,
                policy=policy,
                lat=lat,
                lng=lng,
                radius_km=radius,
                kind=kind,
                pickup_only=pickup_only,
            )
            if c.available > 0 and c.loc.code not in exclude
        ]
        for sku in need
    }
    if strat == "fewest_splits":
        parts, reasons = _fewest_splits(need, cands, prefer)
    else:
        parts, reasons = _greedy(need, cands, strat)
    got: dict[str, int] = {}
    for p in parts:
        got[p.sku] = got.get(p.sku, 0) + p.quantity
    missing = {sku: q - got.get(sku, 0) for sku, q in need.items() if got.get(sku, 0) < q}
    zh, en = _explain(parts, reasons, missing, strat, policy)
    return AllocationResult(
        channel=channel,
        strategy=strat,
        complete=not missing,
        parts=parts,
        missing=missing,
        explanation_zh=zh,
        explanation_en=en,
    )


def _order(cands: list[_Cand], strat: str) -> list[_Cand]:
    if strat == "most_stock":
        return sorted(cands, key=lambda c: (-c.available, c.loc.priority, c.loc.code))
    if strat == "nearest":
        return sorted(cands, key=lambda c: (c.km if c.km is not None else math.inf, c.loc.code))
    return sorted(cands, key=lambda c: (c.loc.priority, c.loc.code))


def _part(c: _Cand, sku: str, qty: int) -> AllocationPart:
    return AllocationPart(
        location=c.loc.code,
        name=c.loc.name,
        sku=sku,
        quantity=qty,
        distance_km=round(c.km, 2) if c.km is not None else None,
    )


def _why(c: _Cand, strat: str) -> tuple[str, str]:
    if strat == "most_stock":
        return (
            f"{c.loc.name} 可用库存最多（{c.available} 件）",
            f"{c.loc.name} has the most available ({c.available})",
        )
    if strat == "nearest":
        return (
            f"{c.loc.name} 距离最近（{c.km:.1f} 公里）",
            f"{c.loc.name} is nearest ({c.km:.1f} km)",
        )
    return (
        f"{c.loc.name} 优先级最高（{c.loc.priority}）",
        f"{c.loc.name} comes first in priority order ({c.loc.priority})",
    )


def _greedy(
    need: dict[str, int], cands: dict[str, list[_Cand]], strat: str
) -> tuple[list[AllocationPart], list[tuple[str, str]]]:
    parts: list[AllocationPart] = []
    reasons: list[tuple[str, str]] = []
    for sku, qty in need.items():
        left = qty
        ordered = _order(cands[sku], strat)
        for i, c in enumerate(ordered):
            if left <= 0:
                break
            take = min(left, c.available)
            parts.append(_part(c, sku, take))
            left -= take
            zh, en = _why(c, strat) if i == 0 else (f"其次是 {c.loc.name}", f"then {c.loc.name}")
            if left > 0:
                zh += f"，但只有 {take} 件可用"
                en += f", but has only {take} available"
            reasons.append((zh, en))
    return parts, reasons


def _fewest_splits(
    need: dict[str, int], cands: dict[str, list[_Cand]], prefer: str | None = None
) -> tuple[list[AllocationPart], list[tuple[str, str]]]:
    """Greedy set cover: the location that covers the most remaining units first (ties: nearest,
    then priority); a single location that covers the whole order always wins."""
    by_loc: dict[str, dict[str, _Cand]] = {}
    for sku, cs in cands.items():
        for c in cs:
            by_loc.setdefault(c.loc.code, {})[sku] = c
    left = dict(need)
    parts: list[AllocationPart] = []
    reasons: list[tuple[str, str]] = []
    while any(v > 0 for v in left.values()):

        def cover(code: str) -> int:
            return sum(min(left[s], c.available) for s, c in by_loc[code].items() if left[s] > 0)

        scored = [(cover(code), code) for code in by_loc]
        scored = [(n, code) for n, code in scored if n > 0]
        if not scored:
            break
        best = min(
            scored,
            key=lambda t: (
                -t[0],
                t[1] != prefer,
                next(iter(by_loc[t[1]].values())).km or 0.0,
                next(iter(by_loc[t[1]].values())).loc.priority,
                t[1],
            ),
        )[1]
        whole = all(min(left[s], c.available) == left[s] for s, c in by_loc[best].items()) and all(
            s in by_loc[best] for s, v in left.items() if v > 0
        )
        name = next(iter(by_loc[best].values())).loc.name
        if whole and not parts:
            reasons.append(
                (
                    f"{name} 一处即可备齐全部商品，无需拆单",
                    f"{name} alone has every item, so the order is not split",
                )
            )
        elif whole:
            reasons.append((f"{name} 备齐其余商品", f"{name} has all the remaining items"))
        else:
            n = cover(best)
            reasons.append(
                (
                    f"{name} 能备齐的件数最多（{n} 件）",
                    f"{name} covers the most remaining units ({n})",
                )
            )
        for sku, c in by_loc[best].items():
            take = min(left[sku], c.available)
            if take > 0:
                parts.append(_part(c, sku, take))
                left[sku] -= take
        del by_loc[best]
    return parts, reasons


def _explain(
    parts: list[AllocationPart],
    reasons: list[tuple[str, str]],
    missing: dict[str, int],
    strat: str,
    policy: Policy,
) -> tuple[str, str]:
    if parts:
        zh = "，".join(f"{p.quantity} 件 {p.sku} 来自 {p.name}" for p in parts)
        en = ", ".join(f"{p.quantity} × {p.sku} from {p.name}" for p in parts)
        zh += f"，因为（{STRATEGY_ZH[strat]}）" + "；".join(r[0] for r in reasons)
        en += f", because ({strat.replace('_', ' ')}) " + "; ".join(r[1] for r in reasons)
    else:
        zh, en = "没有可分配的库存", "no location has stock to allocate"
    if missing:
        zh += "；缺货：" + "，".join(f"{s} 少 {q} 件" for s, q in missing.items())
        en += "; short: " + ", ".join(f"{q} × {s}" for s, q in missing.items())
    if policy.exclude_franchise:
        zh += "（加盟店不参与线上分配）"
        en += " (franchise stores are excluded from online allocation)"
    return zh + "。", en + "."
