"""Staff master data: the only way other domains read clerks, managers and their WeCom ids."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from omniretail.omnichannel.common import UpsertResult
from omniretail.omnichannel.staff.errors import UnknownStaff
from omniretail.omnichannel.staff.models import Staff
from omniretail.omnichannel.staff.schemas import StaffCreate, StaffRead
from omniretail.omnichannel.store import service as store_service
from omniretail.omnichannel.store.errors import UnknownStore


def _codes(session: Session) -> dict[int, str]:
    return {i: c for c, i in store_service.store_ids_by_code(session).items()}


def _read(s: Staff, codes: dict[int, str]) -> StaffRead:
    return StaffRead(
        staff_id=s.code,
        name=s.name,
        role=s.role,  # type: ignore[arg-type]
        store_code=codes.get(s.store_id) if s.store_id is not None else None,
        wecom_userid=s.wecom_userid,
        phone=s.phone,
        is_active=s.is_active,
    )


def get_staff(session: Session, *, staff_id: str) -> StaffRead:
    """The staff member with this employee number; raises :class:`UnknownStaff`."""
    s = session.scalars(select(Staff).where(Staff.code == staff_id.strip())).first()
    if s is None:
        raise UnknownStaff(staff_id)
    return _read(s, _codes(session))


def get_staff_by_wecom(session: Session, *, wecom_userid: str) -> StaffRead:
    """The staff member behind a WeCom user id; raises :class:`UnknownStaff`."""
    s = session.scalars(select(Staff).where(Staff.wecom_userid == wecom_userid.strip())).first()
    if s is None:
        raise UnknownStaff(wecom_userid, field="wecom_userid")
    return _read(s, _codes(session))


def list_staff(
    session: Session,
    *,
    store_code: str | None = None,
    role: str | None = None,
    active_only: bool = True,
) -> list[StaffRead]:
    q = select(Staff).order_by(Staff.code)
    if store_code is not None:
        ids = store_service.store_ids_by_code(session, codes=[store_code])
        if store_code not in ids:
            raise UnknownStore(store_code)
        q = q.where(Staff.store_id == ids[store_code])
    if role is not None:
        q = q.where(Staff.role == role)
    if active_only:
        q = q.where(Staff.is_active)
    codes = _codes(session)
    return [_read(s, codes) for s in session.scalars(q)]


_FIELDS = ("name", "role", "wecom_userid", "phone", "is_active")


def upsert_staff(session: Session, *, staff: Iterable[StaffCreate]) -> UpsertResult:
    """Create or update staff by employee number. A staff member naming an unknown store is
    refused (:class:`UnknownStore`, nothing applied)."""
    rows = list(staff)
    store_ids = store_service.store_ids_by_code(session)
    for r in rows:
        if r.store_code and r.store_code not in store_ids:
            raise UnknownStore(r.store_code)
    existing = {s.code: s for s in session.scalars(select(Staff))}
    created = updated = unchanged = 0
    for data in rows:
        values: dict[str, object] = {f: getattr(data, f) for f in _FIELDS}
        values["store_id"] = store_ids.get(data.store_code) if data.store_code else None
        s = existing.get(data.staff_id)
        if s is None:
            s = Staff(code=data.staff_id, **values)
            session.add(s)
            existing[data.staff_id] = s
            created += 1
        elif any(getattr(s, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(s, k, v)
            updated += 1
        else:
            unchanged += 1
    session.flush()
    return UpsertResult(created, updated, unchanged)
