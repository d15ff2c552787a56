"""Channel master data: the only way other domains read channels and their kind."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from omniretail.omnichannel.channel.errors import UnknownChannel
from omniretail.omnichannel.channel.models import Channel
from omniretail.omnichannel.channel.schemas import ChannelCreate, ChannelRead, channel_code
from omniretail.omnichannel.common import UpsertResult
from omniretail.omnichannel.store import service as store_service
from omniretail.omnichannel.store.errors import UnknownStore


def _read(c: Channel, store_codes: dict[int, str]) -> ChannelRead:
    return ChannelRead(
        code=c.code,
        name=c.name,
        name_en=c.name_en,
        kind=c.kind,  # type: ignore[arg-type]
        domain=c.domain,  # type: ignore[arg-type]
        platform=c.platform,
        store_code=store_codes.get(c.store_id) if c.store_id is not None else None,
        can_sell=c.can_sell,
        can_message=c.can_message,
        is_active=c.is_active,
    )


def _store_codes(session: Session, rows: Iterable[Channel]) -> dict[int, str]:
    ids = {c.store_id for c in rows if c.store_id is not None}
    if not ids:
        return {}
    by_code = store_service.store_ids_by_code(session)
    return {i: code for code, i in by_code.items() if i in ids}


def find_channel(session: Session, *, code: str) -> ChannelRead | None:
    """The channel with this code (any spelling: ``POS`` is ``pos``), or None."""
    c = session.scalars(select(Channel).where(Channel.code == channel_code(code))).first()
    return None if c is None else _read(c, _store_codes(session, [c]))


def get_channel(session: Session, *, code: str) -> ChannelRead:
    """The channel with this code; raises :class:`UnknownChannel`."""
    found = find_channel(session, code=code)
    if found is None:
        raise UnknownChannel(code)
    return found


def list_channels(
    session: Session, *, kind: str | None = None, active_only: bool = True
) -> list[ChannelRead]:
    q = select(Channel).order_by(Channel.code)
    if kind is not None:
        q = q.where(Channel.kind == kind)
    if active_only:
        q = q.where(Channel.is_active)
    rows = list(session.scalars(q))
    codes = _store_codes(session, rows)
    return [_read(c, codes) for c in rows]


_FIELDS = ("name", "kind", "domain", "platform", "can_sell", "can_message", "is_active")


def upsert_channels(session: Session, *, channels: Iterable[ChannelCreate]) -> UpsertResult:
    """Create or update channels by code. A channel naming an unknown store is refused
    (:class:`UnknownStore`, nothing applied)."""
    rows = list(channels)
    store_ids = store_service.store_ids_by_code(
        session, codes=[r.store_code for r in rows if r.store_code]
    )
    for r in rows:
        if r.store_code and r.store_code not in store_ids:
            raise UnknownStore(r.store_code)
    existing = {c.code: c for c in session.scalars(select(Channel))}
    created = updated = unchanged = 0
    for data in rows:
        values: dict[str, object] = {f: getattr(data, f) for f in _FIELDS}
        values["name_en"] = data.name_en or data.name
        values["store_id"] = store_ids.get(data.store_code) if data.store_code else None
        c = existing.get(data.code)
        if c is None:
            c = Channel(code=data.code, **values)
            session.add(c)
            existing[data.code] = c
            created += 1
        elif any(getattr(c, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(c, k, v)
            updated += 1
        else:
            unchanged += 1
    session.flush()
    return UpsertResult(created, updated, unchanged)
