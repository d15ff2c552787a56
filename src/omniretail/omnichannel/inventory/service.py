"""The stock ledger: every change of on hand or reserved is a movement, written together with
the level row it changes, with the level rows locked in id order (``SELECT … FOR UPDATE`` on
PostgreSQL; on SQLite the first write takes the database's write lock).

Verbs (services flush, the caller commits):
``receive`` ``sell`` ``return_stock`` ``transfer`` ``adjust`` ``count`` — on hand;
``reserve`` ``commit`` ``release`` ``cancel`` ``expire_due`` — reservations;
``verify`` recomputes every level from the ledger (and repairs with ``repair=True``).
Available = on hand − reserved − safety stock.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import Table, delete, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from omniretail.omnichannel.inventory import lean
from omniretail.omnichannel.inventory.errors import (
    InsufficientStock,
    InvalidQuantity,
    ReservationClosed,
    ReservationMismatch,
    ReservationNotFound,
    UnknownLocation,
    UnknownSku,
)
from omniretail.omnichannel.inventory.models import (
    ChannelPolicy,
    Reservation,
    StockItem,
    StockLevel,
    StockLocation,
    StockMovement,
)
from omniretail.omnichannel.inventory.schemas import (
    ChannelPolicyIn,
    Discrepancy,
    LevelRead,
    LocationCreate,
    LocationRead,
    MovementRead,
    ReservationLine,
    ReservationRead,
)
from omniretail.omnichannel.store.schemas import StoreRead
from omniretail.platform.db import utcnow
from omniretail.platform.keys import normalize_key
from omniretail.platform.writes import chunks, insert_ignore

__all__ = [
    "adjust",
    "cancel",
    "commit",
    "count",
    "expire_due",
    "get_level",
    "get_location",
    "levels_at",
    "list_levels",
    "list_locations",
    "scope_store_of",
    "list_movements",
    "receive",
    "receive_many",
    "register_item",
    "register_location",
    "release",
    "reservations",
    "reserve",
    "return_stock",
    "sell",
    "sync_locations",
    "set_channel_policy",
    "set_safety_stock",
    "transfer",
    "verify",
]


# --- master records -------------------------------------------------------------------------


def register_location(session: Session, *, data: LocationCreate) -> LocationRead:
    """Create or update a stock location (a store or a warehouse) by its code."""
    row = session.scalar(select(StockLocation).where(StockLocation.code == data.code))
    if row is None:
        row = StockLocation(**data.model_dump())
        session.add(row)
    else:
        for name, value in data.model_dump().items():
            setattr(row, name, value)
    session.flush()
    return LocationRead.model_validate(row)


def get_location(session: Session, *, code: str) -> LocationRead:
    return LocationRead.model_validate(_location(session, code))


def scope_store_of(session: Session, *, code: str) -> str | None:
    """The store a location belongs to for visibility: its store code (a warehouse: None,
    visible to chain-wide users only)."""
    loc = _location(session, code)
    return loc.store_code or (loc.code if loc.kind == "store" else None)


def list_locations(
    session: Session, *, kind: str | None = None, codes: Iterable[str] | None = None
) -> list[LocationRead]:
    q = select(StockLocation).order_by(StockLocation.code)
    if kind:
        q = q.where(StockLocation.kind == kind)
    if codes is not None:
        q = q.where(StockLocation.code.in_(list(codes)))
    return [LocationRead.model_validate(r) for r in session.scalars(q)]


def register_item(
    session: Session, *, sku: str, name: str | None = None, safety_stock: int = 0
) -> int:
    """Create or update a stock item; returns its id."""
    row = session.scalar(select(StockItem).where(StockItem.sku == sku))
    if row is None:
        row = StockItem(sku=sku, name=name, safety_stock=safety_stock)
        session.add(row)
    else:
        row.name = name or row.name
        row.safety_stock = safety_stock
    session.flush()
    return row.id


def item_names(session: Session, *, skus: Iterable[str]) -> dict[str, str]:
    """The stock items' names by SKU (those that have one)."""
    wanted = sorted(set(skus))
    if not wanted:
        return {}
    rows = session.execute(select(StockItem.sku, StockItem.name).where(StockItem.sku.in_(wanted)))
    return {sku: name for sku, name in rows if name is not None}


def set_channel_policy(session: Session, *, data: ChannelPolicyIn) -> None:
    row = session.scalar(
        select(ChannelPolicy).where(ChannelPolicy.channel_code == data.channel_code)
    )
    if row is None:
        session.add(ChannelPolicy(**data.model_dump()))
    else:
        for name, value in data.model_dump().items():
            setattr(row, name, value)
    session.flush()


def _location(session: Session, code: str) -> StockLocation:
    row = session.scalar(select(StockLocation).where(StockLocation.code == code))
    if row is None:
        row = _location_from_master(session, code)
    if row is None or not row.is_active:
        raise UnknownLocation(code)
    return row


def _item(session: Session, sku: str) -> StockItem:
    row = session.scalar(select(StockItem).where(StockItem.sku == sku))
    if row is None:
        from omniretail.omnichannel.product import service as product_service
        from omniretail.omnichannel.product.errors import UnknownProduct

        try:
            product = product_service.get_product(session, sku=sku)
        except UnknownProduct:
            raise UnknownSku(sku) from None
        register_item(session, sku=product.sku, name=product.name)
        row = session.scalar(select(StockItem).where(StockItem.sku == sku))
        assert row is not None
    return row


def location_from_store(store: StoreRead) -> LocationCreate:
    """The stock location of a store, warehouse or pickup point of the store master."""
    return LocationCreate(
        code=store.code,
        name=store.name,
        kind=store.kind if store.kind in ("warehouse", "pickup_point") else "store",
        store_code=store.code,
        region=store.region,
        city=store.city,
        latitude=store.latitude,
        longitude=store.longitude,
        franchise=store.kind == "franchise",
        online=store.kind != "pickup_point",
        pickup=store.kind != "warehouse",
        priority=10 if store.kind == "warehouse" else 100,
        is_active=store.is_active,
    )


def _location_from_master(session: Session, code: str) -> StockLocation | None:
    from omniretail.omnichannel.store import service as store_service
    from omniretail.omnichannel.store.errors import UnknownStore

    try:
        store = store_service.get_store(session, code=code)
    except UnknownStore:
        return None
    register_location(session, data=location_from_store(store))
    return session.scalar(select(StockLocation).where(StockLocation.code == code))


def sync_locations(session: Session) -> int:
    """Every store, warehouse and pickup point of the store master as a stock location
    (names, places and kinds refreshed; priorities and radii kept); returns how many."""
    from omniretail.omnichannel.store import service as store_service

    n = 0
    for store in store_service.list_stores(session, active_only=False):
        data = location_from_store(store)
        row = session.scalar(select(StockLocation).where(StockLocation.code == store.code))
        if row is None:
            session.add(StockLocation(**data.model_dump()))
        else:
            for name in (
                "name",
                "kind",
                "store_code",
                "region",
                "city",
                "latitude",
                "longitude",
                "franchise",
                "is_active",
            ):
                setattr(row, name, getattr(data, name))
        n += 1
    session.flush()
    return n


def _positive(quantity: int, field: str = "quantity") -> int:
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity <= 0:
        raise InvalidQuantity(quantity, field=field)  # type: ignore[arg-type]
    return quantity


# --- levels and locks -----------------------------------------------------------------------


def _is_pg(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _level_id(session: Session, location: StockLocation, item: StockItem, *, create: bool) -> int:
    lid = session.scalar(
        select(StockLevel.id).where(
            StockLevel.item_id == item.id, StockLevel.location_id == location.id
        )
    )
    if lid is not None or not create:
        return lid or 0
    values = {
        "location_id": location.id,
        "item_id": item.id,
        "on_hand": 0,
        "reserved": 0,
        "safety_stock": item.safety_stock,
        "version": 0,
        "updated_at": utcnow(),
    }
    ins = pg_insert(StockLevel) if _is_pg(session) else sqlite_insert(StockLevel)
    session.execute(ins.values(**values).on_conflict_do_nothing())
    return int(
        session.scalar(
            select(StockLevel.id).where(
                StockLevel.item_id == item.id, StockLevel.location_id == location.id
            )
        )
        or 0
    )


def _ensure_level_ids(
    session: Session, pairs: Sequence[tuple[int, int]], *, safety: dict[int, int]
) -> dict[tuple[int, int], int]:
    """The level ids of (location id, item id) pairs, the missing levels created (as
    :func:`_level_id` creates one, in the pairs' order, with the item's safety stock)."""

    def existing() -> dict[tuple[int, int], int]:
        found: dict[tuple[int, int], int] = {}
        wanted = set(pairs)
        item_ids = sorted({p[1] for p in pairs})
        # both id lists in chunks: a whole catalogue (tens of thousands of SKUs) stays under
        # the databases' limits on bound parameters (PostgreSQL's 65,535)
        for loc_ids in chunks(sorted({p[0] for p in pairs})):
            for some_items in chunks(item_ids):
                q = select(StockLevel.location_id, StockLevel.item_id, StockLevel.id).where(
                    StockLevel.location_id.in_(loc_ids), StockLevel.item_id.in_(some_items)
                )
                for loc_id, item_id, lid in session.execute(q):
                    if (loc_id, item_id) in wanted:
                        found[(loc_id, item_id)] = lid
        return found

    have = existing()
    missing = [p for p in pairs if p not in have]
    if missing:
        stamp = utcnow()
        insert_ignore(
            session, cast(Table, StockLevel.__table__),
            [{"location_id": loc_id, "item_id": item_id, "on_hand": 0, "reserved": 0,
              "safety_stock": safety[item_id], "version": 0, "updated_at": stamp}
             for loc_id, item_id in missing],
            keys=("item_id", "location_id"),
        )  # fmt: skip
        have = existing()
    return have


def levels_at(session: Session, *, location: str, skus: Sequence[str]) -> dict[str, LevelRead]:
    """The levels of several SKUs at one location in one query (as :func:`get_level` reads
    each: current values, a SKU without a level at zero)."""
    loc = _location(session, location)
    items = {sku: _item(session, sku) for sku in dict.fromkeys(skus)}
    by_item = {
        lv.item_id: lv
        for lv in session.scalars(
            select(StockLevel)
            .where(
                StockLevel.location_id == loc.id,
                StockLevel.item_id.in_([i.id for i in items.values()]),
            )
            .execution_options(populate_existing=True)
        )
    }
    return {sku: _level_read(loc, item, by_item.get(item.id)) for sku, item in items.items()}


def _lock_levels(session: Session, ids: Iterable[int]) -> dict[int, StockLevel]:
    """Lock level rows in id order and load their current values."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    if not _is_pg(session):
        # SQLite: the first write takes the database's write lock, so values read after it
        # are current; the version bump is that write.
        session.execute(
            update(StockLevel)
            .where(StockLevel.id.in_(wanted))
            .values(version=StockLevel.version + 1)
            .execution_options(synchronize_session=False)
        )
    q = (
        select(StockLevel)
        .where(StockLevel.id.in_(wanted))
        .order_by(StockLevel.id)
        .execution_options(populate_existing=True)
    )
    if _is_pg(session):
        q = q.with_for_update()
    return {lv.id: lv for lv in session.scalars(q)}


def _available(level: StockLevel) -> int:
    return level.on_hand - level.reserved - level.safety_stock


def _move(
    session: Session,
    level: StockLevel,
    kind: str,
    *,
    d_on_hand: int = 0,
    d_reserved: int = 0,
    reservation_id: int | None = None,
    key: str | None = None,
    ref: str | None = None,
    note: str | None = None,
    now: datetime | None = None,
) -> StockMovement:
    at = now or utcnow()
    level.on_hand += d_on_hand
    level.reserved += d_reserved
    level.version += 1
    level.updated_at = at
    mv = StockMovement(
        level_id=level.id,
        kind=kind,
        d_on_hand=d_on_hand,
        d_reserved=d_reserved,
        reservation_id=reservation_id,
        key=key,
        ref=ref,
        note=note,
        at=at,
    )
    session.add(mv)
    return mv


def _seen(session: Session, key: str | None) -> bool:
    return key is not None and (
        session.scalar(select(StockMovement.id).where(StockMovement.key == key)) is not None
    )


def _level_read(location: StockLocation, item: StockItem, level: StockLevel | None) -> LevelRead:
    on_hand = level.on_hand if level else 0
    reserved = level.reserved if level else 0
    safety = level.safety_stock if level else item.safety_stock
    return LevelRead(
        location=location.code,
        sku=item.sku,
        on_hand=on_hand,
        reserved=reserved,
        safety_stock=safety,
        available=on_hand - reserved - safety,
    )


def get_level(session: Session, *, location: str, sku: str) -> LevelRead:
    loc, item = _location(session, location), _item(session, sku)
    level = session.scalar(
        select(StockLevel)
        .where(StockLevel.item_id == item.id, StockLevel.location_id == loc.id)
        .execution_options(populate_existing=True)
    )
    return _level_read(loc, item, level)


def list_levels(
    session: Session, *, location: str | None = None, sku: str | None = None, limit: int = 500
) -> list[LevelRead]:
    q = (
        select(StockLevel, StockLocation, StockItem)
        .join(StockLocation, StockLocation.id == StockLevel.location_id)
        .join(StockItem, StockItem.id == StockLevel.item_id)
        .order_by(StockLocation.code, StockItem.sku)
        .limit(limit)
    )
    if location:
        q = q.where(StockLocation.id == _location(session, location).id)
    if sku:
        q = q.where(StockItem.id == _item(session, sku).id)
    return [_level_read(loc, item, lv) for lv, loc, item in session.execute(q)]


def list_movements(
    session: Session,
    *,
    location: str | None = None,
    sku: str | None = None,
    ref: str | None = None,
    limit: int = 200,
) -> list[MovementRead]:
    q = (
        select(StockMovement, StockLocation.code, StockItem.sku)
        .join(StockLevel, StockLevel.id == StockMovement.level_id)
        .join(StockLocation, StockLocation.id == StockLevel.location_id)
        .join(StockItem, StockItem.id == StockLevel.item_id)
        .order_by(StockMovement.id.desc())
        .limit(limit)
    )
    if location:
        q = q.where(StockLocation.code == location)
    if sku:
        q = q.where(StockItem.sku == sku)
    if ref:
        q = q.where(StockMovement.ref == ref)
    return [
        MovementRead(
            id=mv.id,
            location=code,
            sku=s,
            kind=mv.kind,
            d_on_hand=mv.d_on_hand,
            d_reserved=mv.d_reserved,
            ref=mv.ref,
            note=mv.note,
            at=mv.at,
        )
        for mv, code, s in session.execute(q)
    ]


# --- on-hand verbs --------------------------------------------------------------------------


def _on_hand_change(
    session: Session,
    *,
    location: str,
    sku: str,
    kind: str,
    delta: int,
    key: str | None,
    ref: str | None,
    note: str | None,
    now: datetime | None,
    respect_reserved: bool = True,
) -> LevelRead:
    loc, item = _location(session, location), _item(session, sku)
    k = normalize_key(key) if key else None
    lid = _level_id(session, loc, item, create=True)
    level = _lock_levels(session, [lid])[lid]
    if _seen(session, k):  # a retry: already applied
        return _level_read(loc, item, level)
    if delta < 0:
        floor = level.reserved if respect_reserved else 0
        if level.on_hand + delta < floor:
            raise InsufficientStock(
                location=location, sku=sku, requested=-delta, available=level.on_hand - floor
            )
    _move(session, level, kind, d_on_hand=delta, key=k, ref=ref, note=note, now=now)
    session.flush()
    return _level_read(loc, item, level)


def receive(
    session: Session,
    *,
    location: str,
    sku: str,
    quantity: int,
    key: str | None = None,
    ref: str | None = None,
    now: datetime | None = None,
) -> LevelRead:
    """Goods received (a delivery from a supplier or the warehouse)."""
    return _on_hand_change(
        session,
        location=location,
        sku=sku,
        kind="receipt",
        delta=_positive(quantity),
        key=key,
        ref=ref,
        note=None,
        now=now,
    )


def receive_many(
    session: Session,
    *,
    rows: Sequence[tuple[str, str, int]],
    ref: str | None = None,
    now: datetime | None = None,
) -> int:
    """Receive many (location, SKU, quantity) at once — an initial load or a delivery note:
    the same receipt movements as :func:`receive`, with every level locked in one statement."""
    at = now or utcnow()
    # each location and SKU looked up once, the levels in one query (the missing ones created
    # in one statement, in the rows' order): a few statements, not three per row
    locs = {code: _location(session, code) for code in dict.fromkeys(r[0] for r in rows)}
    items = {sku: _item(session, sku) for sku in dict.fromkeys(r[1] for r in rows)}
    for _loc, _sku, qty in rows:
        _positive(qty)
    pairs = list(dict.fromkeys((locs[r[0]].id, items[r[1]].id) for r in rows))
    level_ids = _ensure_level_ids(
        session, pairs, safety={i.id: i.safety_stock for i in items.values()}
    )
    ids = {(code, sku): level_ids[(locs[code].id, items[sku].id)] for code, sku, _q in rows}
    levels = _lock_levels(session, ids.values())
    for loc_code, sku, qty in rows:
        _move(session, levels[ids[(loc_code, sku)]], "receipt", d_on_hand=qty, ref=ref, now=at)
    session.flush()
    return len(rows)


def sell(
    session: Session,
    *,
    location: str,
    sku: str,
    quantity: int,
    key: str | None = None,
    ref: str | None = None,
    now: datetime | None = None,
) -> LevelRead:
    """A sale over the counter (POS): takes unreserved stock only, so it never oversells a hold."""
    return _on_hand_change(
        session,
        location=location,
        sku=sku,
        kind="sale",
        delta=-_positive(quantity),
        key=key,
        ref=ref,
        note=None,
        now=now,
    )


def return_stock(
    session: Session,
    *,
    location: str,
    sku: str,
    quantity: int,
    key: str | None = None,
    ref: str | None = None,
    now: datetime | None = None,
) -> LevelRead:
    """Returned goods put back on the shelf (sellable) at ``location``."""
    return _on_hand_change(
        session,
        location=location,
        sku=sku,
        kind="return",
        delta=_positive(quantity),
        key=key,
        ref=ref,
        note=None,
        now=now,
    )


def adjust(
    session: Session,
    *,
    location: str,
    sku: str,
    delta: int,
    reason: str,
    key: str | None = None,
    now: datetime | None = None,
) -> LevelRead:
    """A manual correction (damage, shrinkage, found goods) by ``delta`` units."""
    if delta == 0:
        raise InvalidQuantity(delta, field="delta")
    return _on_hand_change(
        session,
        location=location,
        sku=sku,
        kind="adjust",
        delta=delta,
        key=key,
        ref=None,
        note=reason,
        now=now,
        respect_reserved=False,
    )


def count(
    session: Session,
    *,
    location: str,
    sku: str,
    counted: int,
    key: str | None = None,
    ref: str | None = None,
    now: datetime | None = None,
) -> int:
    """A stock count: on hand becomes ``counted`` through a count movement; returns the delta.

    A count may fall below the reserved units (available turns negative: a shortage the
    fulfilment of those reservations will meet when it commits)."""
    if isinstance(counted, bool) or not isinstance(counted, int) or counted < 0:
        raise InvalidQuantity(counted, field="counted")
    loc, item = _location(session, location), _item(session, sku)
    k = normalize_key(key) if key else None
    lid = _level_id(session, loc, item, create=True)
    level = _lock_levels(session, [lid])[lid]
    if _seen(session, k):
        return 0
    delta = counted - level.on_hand
    if delta:
        _move(session, level, "count", d_on_hand=delta, key=k, ref=ref, now=now)
        session.flush()
    return delta


def transfer(
    session: Session,
    *,
    from_location: str,
    to_location: str,
    sku: str,
    quantity: int,
    key: str | None = None,
    now: datetime | None = None,
) -> tuple[LevelRead, LevelRead]:
    """Move units between two locations (two movements in one transaction)."""
    _positive(quantity)
    src, dst, item = (
        _location(session, from_location),
        _location(session, to_location),
        _item(session, sku),
    )
    if src.id == dst.id:
        raise UnknownLocation(to_location)
    k = normalize_key(key) if key else None
    ids = [_level_id(session, src, item, create=True), _level_id(session, dst, item, create=True)]
    levels = _lock_levels(session, ids)
    a, b = levels[ids[0]], levels[ids[1]]
    if not _seen(session, f"{k}:out" if k else None):
        if a.on_hand - quantity < a.reserved:
            raise InsufficientStock(
                location=from_location,
                sku=sku,
                requested=quantity,
                available=a.on_hand - a.reserved,
            )
        ref = f"transfer:{k}" if k else None
        _move(
            session,
            a,
            "transfer_out",
            d_on_hand=-quantity,
            key=f"{k}:out" if k else None,
            ref=ref,
            note=to_location,
            now=now,
        )
        _move(
            session,
            b,
            "transfer_in",
            d_on_hand=quantity,
            key=f"{k}:in" if k else None,
            ref=ref,
            note=from_location,
            now=now,
        )
        session.flush()
    return _level_read(src, item, a), _level_read(dst, item, b)


def set_safety_stock(session: Session, *, location: str, sku: str, safety_stock: int) -> LevelRead:
    if safety_stock < 0:
        raise InvalidQuantity(safety_stock, field="safety_stock")
    loc, item = _location(session, location), _item(session, sku)
    lid = _level_id(session, loc, item, create=True)
    level = _lock_levels(session, [lid])[lid]
    level.safety_stock = safety_stock
    session.flush()
    return _level_read(loc, item, level)


# --- reservations ---------------------------------------------------------------------------


def _reservation_reads(session: Session, rows: Sequence[Reservation]) -> list[ReservationRead]:
    if not rows:
        return []
    info = {
        lid: (code, sku)
        for lid, code, sku in session.execute(
            select(StockLevel.id, StockLocation.code, StockItem.sku)
            .join(StockLocation, StockLocation.id == StockLevel.location_id)
            .join(StockItem, StockItem.id == StockLevel.item_id)
            .where(StockLevel.id.in_({r.level_id for r in rows}))
        )
    }
    return [
        ReservationRead(
            key=r.group_key,
            line_no=r.line_no,
            location=info[r.level_id][0],
            sku=info[r.level_id][1],
            quantity=r.quantity,
            kind=r.kind,
            status=r.status,
            expires_at=r.expires_at,
            ref=r.ref,
        )
        for r in rows
    ]


def reservations(session: Session, *, key: str) -> list[ReservationRead]:
    """The lines held under ``key`` (one query), in line order."""
    return [
        ReservationRead(
            key=r.group_key,
            line_no=r.line_no,
            location=code,
            sku=sku,
            quantity=r.quantity,
            kind=r.kind,
            status=r.status,
            expires_at=r.expires_at,
            ref=r.ref,
        )
        for r, code, sku in session.execute(
            select(Reservation, StockLocation.code, StockItem.sku)
            .join(StockLevel, StockLevel.id == Reservation.level_id)
            .join(StockLocation, StockLocation.id == StockLevel.location_id)
            .join(StockItem, StockItem.id == StockLevel.item_id)
            .where(Reservation.group_key == normalize_key(key))
            .order_by(Reservation.line_no)
            .execution_options(populate_existing=True)
        )
    ]


def reserve(
    session: Session,
    *,
    key: str,
    lines: Sequence[ReservationLine],
    kind: str = "order",
    ttl: timedelta | None = None,
    expires_at: datetime | None = None,
    ref: str | None = None,
    now: datetime | None = None,
) -> list[ReservationRead]:
    """Hold units for ``key`` (all lines or none). A retry with the same key and lines returns
    the first result; with different lines it is refused."""
    k = normalize_key(key)
    if not lines:
        raise InvalidQuantity(0, field="lines")
    at = now or utcnow()
    until = expires_at or (at + ttl if ttl else None)
    for i, line in enumerate(lines):
        _positive(line.quantity, field=f"lines[{i}].quantity")
    if _is_pg(session) and len({(ln.location, ln.sku) for ln in lines}) == 1:
        try:
            held = lean.reserve_one_level(
                session, k=k, lines=lines, kind=kind, until=until, ref=ref, at=at
            )
        except lean.Refused as no:
            raise InsufficientStock(
                location=lines[0].location,
                sku=lines[0].sku,
                requested=sum(ln.quantity for ln in lines),
                available=no.available,
            ) from None
        if held is not None:
            return held
    ids = _level_ids(session, [(ln.location, ln.sku) for ln in lines])
    resolved = [(ln, ids[(ln.location, ln.sku)]) for ln in lines]

    def replay() -> list[ReservationRead] | None:
        existing = session.scalars(
            select(Reservation)
            .where(Reservation.group_key == k)
            .order_by(Reservation.line_no)
            .execution_options(populate_existing=True)
        ).all()
        if not existing:
            return None
        reads = _reservation_reads(session, existing)
        want = [(ln.location, ln.sku, ln.quantity) for ln, _ in resolved]
        if [(r.location, r.sku, r.quantity) for r in reads] != want:
            raise ReservationMismatch(key)
        return reads

    if len(resolved) == 1 and resolved[0][1] and not _is_pg(session):
        fast = _reserve_one(session, k, key, resolved[0][0], resolved[0][1], kind, until, ref, at)
        if fast is not None:
            return fast
        first = replay()
        assert first is not None
        return first
    levels = _lock_levels(session, [lid for _, lid in resolved if lid])
    if (first := replay()) is not None:  # a retry (or a concurrent one that won the locks)
        return first
    need: dict[int, int] = defaultdict(int)
    for line, lid in resolved:
        need[lid] += line.quantity
    for line, lid in resolved:
        avail = _available(levels[lid]) if lid else 0
        if need[lid] > avail:
            raise InsufficientStock(
                location=line.location, sku=line.sku, requested=need[lid], available=max(avail, 0)
            )
    rows = [
        Reservation(
            group_key=k,
            line_no=i,
            level_id=lid,
            quantity=line.quantity,
            kind=kind,
            status="active",
            expires_at=until,
            ref=ref,
            created_at=at,
        )
        for i, (line, lid) in enumerate(resolved)
    ]
    session.add_all(rows)
    session.flush()  # one batched insert: the rows get their ids
    for row in rows:
        _move(
            session,
            levels[row.level_id],
            "reserve",
            d_reserved=row.quantity,
            reservation_id=row.id,
            ref=ref,
            now=at,
        )
    session.flush()
    return [
        ReservationRead(
            key=k,
            line_no=r.line_no,
            location=line.location,
            sku=line.sku,
            quantity=r.quantity,
            kind=r.kind,
            status=r.status,
            expires_at=r.expires_at,
            ref=r.ref,
        )
        for r, (line, _) in zip(rows, resolved, strict=True)
    ]


def _reserve_one(
    session: Session,
    k: str,
    key: str,
    line: ReservationLine,
    lid: int,
    kind: str,
    until: datetime | None,
    ref: str | None,
    at: datetime,
) -> list[ReservationRead] | None:
    """One line, three statements: insert the reservation (``ON CONFLICT DO NOTHING``: a retry
    returns None), raise ``reserved`` with a conditional update (the row lock, the
    availability check and the change in one statement), write the movement. Refused: the
    inserted reservation is deleted before the error, so nothing is left half-applied."""
    ins = (pg_insert if _is_pg(session) else sqlite_insert)(Reservation).values(
        group_key=k,
        line_no=0,
        level_id=lid,
        quantity=line.quantity,
        kind=kind,
        status="active",
        expires_at=until,
        ref=ref,
        created_at=at,
    )
    rid = session.execute(
        ins.on_conflict_do_nothing(index_elements=["group_key", "line_no"]).returning(
            Reservation.id
        )
    ).scalar()
    if rid is None:
        return None
    held = session.execute(
        update(StockLevel)
        .where(
            StockLevel.id == lid,
            StockLevel.on_hand - StockLevel.reserved - StockLevel.safety_stock >= line.quantity,
        )
        .values(
            reserved=StockLevel.reserved + line.quantity,
            version=StockLevel.version + 1,
            updated_at=at,
        )
        .returning(StockLevel.id)
        .execution_options(synchronize_session=False)
    ).scalar()
    if held is None:
        session.execute(delete(Reservation).where(Reservation.id == rid))
        lv = session.execute(
            select(StockLevel.on_hand - StockLevel.reserved - StockLevel.safety_stock).where(
                StockLevel.id == lid
            )
        ).scalar()
        raise InsufficientStock(
            location=line.location,
            sku=line.sku,
            requested=line.quantity,
            available=max(int(lv or 0), 0),
        )
    session.execute(
        insert(StockMovement).values(
            level_id=lid,
            kind="reserve",
            d_on_hand=0,
            d_reserved=line.quantity,
            reservation_id=rid,
            key=None,
            ref=ref,
            note=None,
            at=at,
        )
    )
    return [
        ReservationRead(
            key=k,
            line_no=0,
            location=line.location,
            sku=line.sku,
            quantity=line.quantity,
            kind=kind,
            status="active",
            expires_at=until,
            ref=ref,
        )
    ]


def _commit_fast(session: Session, k: str, ref: str | None, at: datetime) -> bool:
    """Commit every active line of ``k`` with conditional updates (no ORM): the reservation
    rows first (their locks), then each level in id order (``on_hand >= q``). False — nothing
    changed — when the slow path must decide (nothing active, a line expired or past its time,
    a level short: those raise there with the exact reason)."""
    done = session.execute(
        update(Reservation)
        .where(
            Reservation.group_key == k,
            Reservation.status == "active",
            ~select(Reservation.id)
            .where(Reservation.group_key == k, Reservation.status == "expired")
            .exists(),
        )
        .values(status="committed", closed_at=at)
        .returning(
            Reservation.id,
            Reservation.level_id,
            Reservation.quantity,
            Reservation.expires_at,
            Reservation.ref,
        )
        .execution_options(synchronize_session=False)
    ).all()
    if not done:
        return False

    def undo(levels_done: list[tuple[int, int]]) -> bool:
        for lid, q in levels_done:
            session.execute(
                update(StockLevel)
                .where(StockLevel.id == lid)
                .values(on_hand=StockLevel.on_hand + q, reserved=StockLevel.reserved + q)
                .execution_options(synchronize_session=False)
            )
        session.execute(
            update(Reservation)
            .where(Reservation.id.in_([r.id for r in done]))
            .values(status="active", closed_at=None)
            .execution_options(synchronize_session=False)
        )
        return False

    if any(r.expires_at is not None and _aware(r.expires_at) <= at for r in done):
        return undo([])
    take: dict[int, int] = defaultdict(int)
    for r in done:
        take[r.level_id] += r.quantity
    applied: list[tuple[int, int]] = []
    for lid in sorted(take):
        ok = session.execute(
            update(StockLevel)
            .where(StockLevel.id == lid, StockLevel.on_hand >= take[lid])
            .values(
                on_hand=StockLevel.on_hand - take[lid],
                reserved=StockLevel.reserved - take[lid],
                version=StockLevel.version + 1,
                updated_at=at,
            )
            .returning(StockLevel.id)
            .execution_options(synchronize_session=False)
        ).scalar()
        if ok is None:
            return undo(applied)
        applied.append((lid, take[lid]))
    session.execute(
        insert(StockMovement),
        [
            {
                "level_id": r.level_id,
                "kind": "commit",
                "d_on_hand": -r.quantity,
                "d_reserved": -r.quantity,
                "reservation_id": r.id,
                "key": None,
                "ref": ref or r.ref,
                "note": None,
                "at": at,
            }
            for r in done
        ],
    )
    return True


def _level_ids(session: Session, pairs: Sequence[tuple[str, str]]) -> dict[tuple[str, str], int]:
    """Level ids of (location, SKU) pairs in one query; a pair without a level row is checked
    (unknown location or SKU raise) and maps to 0 (nothing there)."""
    from sqlalchemy import tuple_

    found = {
        (code, sku): lid
        for code, sku, lid in session.execute(
            select(StockLocation.code, StockItem.sku, StockLevel.id)
            .join(StockLevel, StockLevel.location_id == StockLocation.id)
            .join(StockItem, StockItem.id == StockLevel.item_id)
            .where(
                tuple_(StockLocation.code, StockItem.sku).in_(sorted(set(pairs))),
                StockLocation.is_active.is_(True),
            )
        )
    }
    for code, sku in pairs:
        if (code, sku) not in found:
            loc, item = _location(session, code), _item(session, sku)
            found[(code, sku)] = _level_id(session, loc, item, create=False)
    return found


def _lock_reservations(
    session: Session, key: str, line_nos: Sequence[int] | None
) -> tuple[list[Reservation], dict[int, tuple[str, str]]]:
    """The key's reservation rows, locked (PostgreSQL: FOR UPDATE OF inv_reservation), with
    each level's (location, SKU)."""
    q = (
        select(Reservation, StockLocation.code, StockItem.sku)
        .join(StockLevel, StockLevel.id == Reservation.level_id)
        .join(StockLocation, StockLocation.id == StockLevel.location_id)
        .join(StockItem, StockItem.id == StockLevel.item_id)
        .where(Reservation.group_key == normalize_key(key))
        .order_by(Reservation.id)
        .execution_options(populate_existing=True)
    )
    if line_nos is not None:
        q = q.where(Reservation.line_no.in_(list(line_nos)))
    if _is_pg(session):
        q = q.with_for_update(of=Reservation)
    else:  # take SQLite's write lock before reading
        session.execute(
            update(Reservation)
            .where(Reservation.group_key == normalize_key(key))
            .values(line_no=Reservation.line_no)
            .execution_options(synchronize_session=False)
        )
    rows: list[Reservation] = []
    info: dict[int, tuple[str, str]] = {}
    for r, code, sku in session.execute(q):
        rows.append(r)
        info[r.level_id] = (code, sku)
    if not rows:
        raise ReservationNotFound(key)
    return rows, info


def _reads(rows: Sequence[Reservation], info: dict[int, tuple[str, str]]) -> list[ReservationRead]:
    return [
        ReservationRead(
            key=r.group_key,
            line_no=r.line_no,
            location=info[r.level_id][0],
            sku=info[r.level_id][1],
            quantity=r.quantity,
            kind=r.kind,
            status=r.status,
            expires_at=r.expires_at,
            ref=r.ref,
        )
        for r in rows
    ]


def commit(
    session: Session,
    *,
    key: str,
    line_nos: Sequence[int] | None = None,
    ref: str | None = None,
    now: datetime | None = None,
) -> list[ReservationRead]:
    """The held units leave: on hand and reserved both fall. Idempotent; refused for a hold
    that expired, was released or cancelled, or whose stock a count found missing."""
    at = now or utcnow()
    if line_nos is None:
        if _is_pg(session):  # one statement for a key at one level
            done = lean.commit_one_level(session, k=normalize_key(key), ref=ref, at=at)
            if done is not None:
                return done
        if _commit_fast(session, normalize_key(key), ref, at):
            return reservations(session, key=key)
    rows, info = _lock_reservations(session, key, line_nos)
    for r in rows:
        if r.status == "active" and r.expires_at is not None and _aware(r.expires_at) <= at:
            raise ReservationClosed(key, "expired", "commit")
        if r.status == "expired" or (
            line_nos is not None and r.status != "active" and r.status != "committed"
        ):
            raise ReservationClosed(key, r.status, "commit")
    if not any(r.status in ("active", "committed") for r in rows):
        raise ReservationClosed(key, rows[0].status, "commit")
    todo = [r for r in rows if r.status == "active"]
    levels = _lock_levels(session, [r.level_id for r in todo])
    take: dict[int, int] = defaultdict(int)
    for r in todo:
        take[r.level_id] += r.quantity
    for lid, qty in take.items():
        if levels[lid].on_hand < qty:
            raise InsufficientStock(
                location=info[lid][0],
                sku=info[lid][1],
                requested=qty,
                available=levels[lid].on_hand,
            )
    for r in todo:
        _move(
            session,
            levels[r.level_id],
            "commit",
            d_on_hand=-r.quantity,
            d_reserved=-r.quantity,
            reservation_id=r.id,
            ref=ref or r.ref,
            now=at,
        )
        r.status, r.closed_at = "committed", at
    session.flush()
    return _reads(rows, info)


def _close(
    session: Session,
    key: str,
    *,
    line_nos: Sequence[int] | None,
    action: str,
    now: datetime | None,
) -> list[ReservationRead]:
    at = now or utcnow()
    rows, info = _lock_reservations(session, key, line_nos)
    active = [r for r in rows if r.status == "active"]
    restock = [r for r in rows if r.status == "committed"] if action == "cancel" else []
    levels = _lock_levels(session, [r.level_id for r in active + restock])
    for r in active:
        _move(
            session,
            levels[r.level_id],
            "release" if action != "expire" else "expire",
            d_reserved=-r.quantity,
            reservation_id=r.id,
            ref=r.ref,
            now=at,
        )
        r.status = (
            "expired" if action == "expire" else ("cancelled" if action == "cancel" else "released")
        )
        r.closed_at = at
    for r in restock:  # cancelled after it left: back on the shelf, once (status guards it)
        _move(
            session,
            levels[r.level_id],
            "restock",
            d_on_hand=r.quantity,
            reservation_id=r.id,
            ref=r.ref,
            now=at,
        )
        r.status, r.closed_at = "cancelled", at
    session.flush()
    return _reads(rows, info)


def release(
    session: Session,
    *,
    key: str,
    line_nos: Sequence[int] | None = None,
    now: datetime | None = None,
) -> list[ReservationRead]:
    """Give held units back to available. Idempotent: closed lines are left as they are."""
    return _close(session, key, line_nos=line_nos, action="release", now=now)


def cancel(
    session: Session,
    *,
    key: str,
    line_nos: Sequence[int] | None = None,
    now: datetime | None = None,
) -> list[ReservationRead]:
    """Cancel an order's stock: active holds are released, committed units restocked —
    exactly once (a cancelled line is never restocked again)."""
    return _close(session, key, line_nos=line_nos, action="cancel", now=now)


def expire_due(session: Session, *, now: datetime | None = None, limit: int = 1000) -> int:
    """Expire active holds whose time is up; returns how many lines expired. Idempotent, and
    safe beside a concurrent commit (rows another transaction holds are skipped)."""
    at = now or utcnow()
    q = (
        select(Reservation)
        .where(
            Reservation.status == "active",
            Reservation.expires_at.is_not(None),
            Reservation.expires_at <= at,
        )
        .order_by(Reservation.id)
        .limit(limit)
        .execution_options(populate_existing=True)
    )
    if _is_pg(session):
        q = q.with_for_update(skip_locked=True)
    rows = list(session.scalars(q))
    if not rows:
        return 0
    levels = _lock_levels(session, [r.level_id for r in rows])
    n = 0
    for r in rows:
        session.refresh(r)
        if r.status != "active":
            continue
        _move(
            session,
            levels[r.level_id],
            "expire",
            d_reserved=-r.quantity,
            reservation_id=r.id,
            ref=r.ref,
            now=at,
        )
        r.status, r.closed_at = "expired", at
        n += 1
    session.flush()
    return n


def _aware(value: datetime) -> datetime:
    from datetime import UTC

    return value if value.tzinfo else value.replace(tzinfo=UTC)


# --- verification ---------------------------------------------------------------------------


def verify(session: Session, *, repair: bool = False) -> list[Discrepancy]:
    """Every level whose on hand or reserved differs from its ledger, or whose reserved differs
    from its open reservations. With ``repair`` the level takes the ledger's values."""
    ledger = (
        select(
            StockMovement.level_id.label("level_id"),
            func.sum(StockMovement.d_on_hand).label("oh"),
            func.sum(StockMovement.d_reserved).label("rs"),
        )
        .group_by(StockMovement.level_id)
        .subquery()
    )
    held = (
        select(Reservation.level_id.label("level_id"), func.sum(Reservation.quantity).label("q"))
        .where(Reservation.status == "active")
        .group_by(Reservation.level_id)
        .subquery()
    )
    oh = func.coalesce(ledger.c.oh, 0)
    rs = func.coalesce(ledger.c.rs, 0)
    hq = func.coalesce(held.c.q, 0)
    q = (
        select(StockLevel, StockLocation.code, StockItem.sku, oh, rs, hq)
        .join(StockLocation, StockLocation.id == StockLevel.location_id)
        .join(StockItem, StockItem.id == StockLevel.item_id)
        .outerjoin(ledger, ledger.c.level_id == StockLevel.id)
        .outerjoin(held, held.c.level_id == StockLevel.id)
        .where(
            (StockLevel.on_hand != oh) | (StockLevel.reserved != rs) | (StockLevel.reserved != hq)
        )
        .execution_options(populate_existing=True)
    )
    found = []
    for level, code, sku, l_oh, l_rs, h in session.execute(q):
        found.append(
            Discrepancy(
                location=code,
                sku=sku,
                on_hand=level.on_hand,
                ledger_on_hand=int(l_oh),
                reserved=level.reserved,
                ledger_reserved=int(l_rs),
                open_reservations=int(h),
            )
        )
        if repair:
            locked = _lock_levels(session, [level.id])[level.id]
            locked.on_hand, locked.reserved = int(l_oh), int(l_rs)
    if repair:
        session.flush()
    return found
