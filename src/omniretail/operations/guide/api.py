"""``/api/v1/guide``: the shopping-guide relationship (claims from WeCom contact-me, store QR
codes, share links and served purchases; touches that extend the lock; transfers and
handovers), the chain's binding policy, clerk tasks and visits. A store-bound caller only
reaches its stores' clerks; a clerk acts on their own task list."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from omniretail.cdp.identity.errors import CustomerNotResolved
from omniretail.cdp.profile.lookup import find_customer
from omniretail.operations.guide import service, tasks, worklist
from omniretail.operations.guide.errors import TaskNotFound
from omniretail.operations.guide.models import GuideTask
from omniretail.operations.guide.schemas import (
    BindingRead,
    ClaimIn,
    HandoverRead,
    PolicyRead,
    TaskAction,
    TaskRead,
    TaskRunRead,
    TouchIn,
    TransferIn,
    TransferRead,
    VisitIn,
    VisitRead,
)
from omniretail.platform.auth.deps import ApiPrincipal, DbSession, Principal
from omniretail.platform.auth.scope import store_scope
from omniretail.platform.bounds import DbId
from omniretail.platform.engine.snapshot import NOT_COMPUTED_RESPONSES, published_engine
from omniretail.platform.i18n import N_
from omniretail.platform.timezone import chain_now

router = APIRouter(prefix="/guide", tags=["shopping guides"])


class HandoverIn(BaseModel):
    from_staff: str = Field(min_length=1, max_length=32)
    to_staff: str = Field(min_length=1, max_length=32)


def _staff_in_scope(db: Session, who: Principal, staff_code: str) -> str:
    staff = service.guide_staff(db, staff_code)
    store_scope(who).require(staff.store_code)
    return staff.staff_id


def _customer_in_scope(db: Session, who: Principal, customer_id: str) -> None:
    """A store-bound caller names only its own customers: one whose home store it sees, or
    whose current clerk works in one of its stores. Another store's customer is answered as
    unknown (404), as everywhere else, so its existence is not revealed."""
    scope = store_scope(who)
    if scope.all_stores:
        return
    customer = find_customer(db, customer_id)
    cid = customer.merged_into if customer.status == "merged" and customer.merged_into else None
    if cid is not None:
        customer = find_customer(db, cid)
    b = service.current_binding(db, customer.customer_id)
    if scope.allows(customer.home_store_code) or (b is not None and scope.allows(b.store_code)):
        return
    raise CustomerNotResolved(
        f"no customer known by {customer_id!r}",
        field="customer_id",
        message=N_("No customer known by %(id)s."),
        params={"id": customer_id},
    )


def _own_or_write(db: Session, who: Principal, staff_code: str) -> str:
    """A clerk acts on their own list (their user name is their staff code); others need the
    write permission over the clerk's store."""
    if who.role == "clerk" and who.name == staff_code:
        return service.guide_staff(db, staff_code).staff_id
    who.require("write")
    return _staff_in_scope(db, who, staff_code)


@router.get("/policy", response_model=PolicyRead)
def get_policy(db: DbSession, who: ApiPrincipal) -> PolicyRead:
    who.require("read")
    return service.get_policy(db)


@router.put("/policy", response_model=PolicyRead)
def put_policy(body: PolicyRead, db: DbSession, who: ApiPrincipal) -> PolicyRead:
    who.require("admin")
    return service.set_policy(db, policy=body)


@router.post("/claims", response_model=BindingRead)
def claim(body: ClaimIn, db: DbSession, who: ApiPrincipal) -> BindingRead:
    who.require("write")
    _staff_in_scope(db, who, body.staff_code)
    _customer_in_scope(db, who, body.customer_id)
    return service.claim(
        db, customer_id=body.customer_id, staff_code=body.staff_code, source=body.source,
        source_ref=body.source_ref, registration=body.registration, at=body.at,
    )  # fmt: skip


@router.post("/touches", response_model=BindingRead | None)
def touch(body: TouchIn, db: DbSession, who: ApiPrincipal) -> BindingRead | None:
    who.require("write")
    _staff_in_scope(db, who, body.staff_code)
    _customer_in_scope(db, who, body.customer_id)
    return service.touch(
        db, customer_id=body.customer_id, staff_code=body.staff_code, kind=body.kind, at=body.at
    )


@router.post("/deletions", response_model=BindingRead | None)
def deletion(body: TouchIn, db: DbSession, who: ApiPrincipal) -> BindingRead | None:
    """WeCom's ``del_follow_user``: the customer deleted the clerk (``kind`` is ignored)."""
    who.require("write")
    _staff_in_scope(db, who, body.staff_code)
    _customer_in_scope(db, who, body.customer_id)
    return service.contact_deleted(
        db, customer_id=body.customer_id, staff_code=body.staff_code, at=body.at
    )


@router.get("/customers/{customer_id}/bindings", response_model=list[BindingRead])
def bindings(customer_id: str, db: DbSession, who: ApiPrincipal) -> list[BindingRead]:
    who.require("read")
    cid = service.resolve_customer(db, customer_id)
    return [
        b for b in service.bindings_of(db, customer_id=cid) if store_scope(who).allows(b.store_code)
    ]


@router.post("/transfers", response_model=TransferRead)
def transfer(body: TransferIn, db: DbSession, who: ApiPrincipal) -> TransferRead:
    who.require("write")
    _staff_in_scope(db, who, body.to_staff)
    _customer_in_scope(db, who, body.customer_id)
    return service.request_transfer(
        db, customer_id=body.customer_id, to_staff=body.to_staff, reason=body.reason,
        actor=who.name, at=body.at,
    )  # fmt: skip


@router.post("/transfers/{transfer_id}/refuse", response_model=TransferRead)
def refuse(transfer_id: DbId, db: DbSession, who: ApiPrincipal) -> TransferRead:
    who.require("write")
    t = service.transfer_by_id(db, transfer_id)
    _customer_in_scope(db, who, t.customer_id)
    return service.refuse_transfer(db, transfer_id=transfer_id)


@router.post("/handovers", response_model=HandoverRead)
def handover(body: HandoverIn, db: DbSession, who: ApiPrincipal) -> HandoverRead:
    who.require("write")
    _staff_in_scope(db, who, body.from_staff)
    _staff_in_scope(db, who, body.to_staff)
    return service.hand_over(db, from_staff=body.from_staff, to_staff=body.to_staff, actor=who.name)


@router.get("/clerks/{staff_code}/tasks", response_model=list[TaskRead])
def clerk_tasks(
    staff_code: str, db: DbSession, who: ApiPrincipal, day: date | None = None
) -> list[TaskRead]:
    if not (who.role == "clerk" and who.name == staff_code):
        who.require("read")
        _staff_in_scope(db, who, staff_code)
    return worklist.tasks_of(db, staff_code=staff_code, day=day or chain_now().date())


@router.post("/tasks/{task_id}", response_model=TaskRead)
def act(task_id: DbId, body: TaskAction, db: DbSession, who: ApiPrincipal) -> TaskRead:
    t = db.get(GuideTask, task_id)
    if t is None:
        raise TaskNotFound(task_id)
    staff = _own_or_write(db, who, t.staff_code)
    return worklist.act(
        db, task_id=task_id, staff_code=staff, action=body.action, issue_coupon=body.issue_coupon
    )


@router.post("/clerks/{staff_code}/visits", response_model=VisitRead)
def visit(staff_code: str, body: VisitIn, db: DbSession, who: ApiPrincipal) -> VisitRead:
    staff = _own_or_write(db, who, staff_code)
    return worklist.record_visit(db, staff_code=staff, visit=body)


@router.post("/task-runs", response_model=TaskRunRead, responses=NOT_COMPUTED_RESPONSES)
def generate(db: DbSession, who: ApiPrincipal, day: date | None = None) -> TaskRunRead:
    who.require("admin")
    engine = published_engine()
    try:
        return tasks.generate_tasks(db, engine, day=day or chain_now().date())
    finally:
        engine.close()
