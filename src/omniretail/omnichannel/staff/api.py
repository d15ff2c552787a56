"""``/api/v1/staff``: store managers, cashiers and shopping guides (read; a caller bound to
stores sees its stores' staff)."""

from __future__ import annotations

from fastapi import APIRouter

from omniretail.omnichannel.staff import service
from omniretail.omnichannel.staff.schemas import StaffRead, StaffRole
from omniretail.platform.auth.deps import ApiPrincipal, DbSession
from omniretail.platform.auth.scope import store_scope

router = APIRouter(prefix="/staff", tags=["master data"])


@router.get("", response_model=list[StaffRead])
def list_staff(
    db: DbSession, who: ApiPrincipal, store_code: str | None = None, role: StaffRole | None = None
) -> list[StaffRead]:
    who.require("read")
    scope = store_scope(who)
    if store_code is not None:
        scope.require(store_code)
    return [
        s
        for s in service.list_staff(db, store_code=store_code, role=role)
        if scope.allows(s.store_code)
    ]


@router.get("/{staff_id}", response_model=StaffRead)
def get_staff(staff_id: str, db: DbSession, who: ApiPrincipal) -> StaffRead:
    who.require("read")
    staff = service.get_staff(db, staff_id=staff_id)
    store_scope(who).require(staff.store_code)
    return staff
