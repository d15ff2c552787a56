"""``/api/v1/groupbuy``: leaders (apply, approve), commission rules, activities, orders through
a leader's link, the cut-off, arrival, pickup with the fulfilment codes, refunds, commission
balances and withdrawals, and the KPIs. A caller bound to stores sees and acts for the
leaders of their stores only."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from omniretail.operations.groupbuy import kpi, service, settle
from omniretail.operations.groupbuy.schemas import (
    ActivityCreate,
    ActivityRead,
    ArrivalResult,
    CommissionBalance,
    CutoffResult,
    GroupBuyKpis,
    GroupOrderCreate,
    GroupOrderRead,
    LeaderApply,
    LeaderDecision,
    LeaderRead,
    PickList,
    PickupIn,
    RefundIn,
    RuleIn,
    RuleRead,
    WithdrawIn,
)
from omniretail.platform.auth.deps import ApiPrincipal, DbSession
from omniretail.platform.auth.scope import store_scope
from omniretail.platform.bounds import DB_ID_MAX

# an order id beyond a BIGINT is a 422 naming the parameter, not the database driver's 500
OrderId = Annotated[int, Path(ge=1, le=DB_ID_MAX)]
router = APIRouter(prefix="/groupbuy", tags=["groupbuy"])


def _leader_in_scope(db: DbSession, principal: ApiPrincipal, code: str) -> LeaderRead:
    leader = service.get_leader(db, code=code)
    store_scope(principal).require(leader.store_code)
    return leader


@router.post("/leaders", response_model=LeaderRead)
def apply_leader(data: LeaderApply, db: DbSession, principal: ApiPrincipal) -> LeaderRead:
    """A recruitment application (待审核)."""
    principal.require("write")
    store_scope(principal).require(data.store_code)
    return service.apply_leader(db, data=data)


@router.get("/leaders", response_model=list[LeaderRead])
def list_leaders(
    db: DbSession, principal: ApiPrincipal, status: str | None = None
) -> list[LeaderRead]:
    principal.require("read")
    return service.list_leaders(db, store_codes=store_scope(principal).codes(), status=status)


@router.post("/leaders/{code}/decision", response_model=LeaderRead)
def decide_leader(
    code: str, data: LeaderDecision, db: DbSession, principal: ApiPrincipal
) -> LeaderRead:
    principal.require("write")
    _leader_in_scope(db, principal, code)
    return service.decide_leader(db, code=code, data=data, by=principal.name)


@router.get("/rules", response_model=list[RuleRead])
def list_rules(db: DbSession, principal: ApiPrincipal) -> list[RuleRead]:
    principal.require("read")
    return service.list_rules(db)


@router.put("/rules", response_model=RuleRead)
def set_rule(data: RuleIn, db: DbSession, principal: ApiPrincipal) -> RuleRead:
    """Create or replace a commission rule (category, tier or default; rate or fixed)."""
    principal.require("admin")
    return service.set_rule(db, data=data)


@router.post("/activities", response_model=ActivityRead)
def create_activity(data: ActivityCreate, db: DbSession, principal: ApiPrincipal) -> ActivityRead:
    """Create an activity; each leader's stock is held at their store until the cut-off."""
    principal.require("write")
    scope = store_scope(principal)
    for code in data.leaders:
        scope.require(service.get_leader(db, code=code).store_code)
    return service.create_activity(db, data=data)


@router.get("/activities", response_model=list[ActivityRead])
def list_activities(
    db: DbSession, principal: ApiPrincipal, status: str | None = None
) -> list[ActivityRead]:
    principal.require("read")
    return service.list_activities(db, status=status)


@router.get("/activities/{code}", response_model=ActivityRead)
def get_activity(code: str, db: DbSession, principal: ApiPrincipal) -> ActivityRead:
    principal.require("read")
    return service.get_activity(db, code=code)


@router.post("/activities/{code}/cutoff", response_model=CutoffResult)
def cutoff(code: str, db: DbSession, principal: ApiPrincipal) -> CutoffResult:
    """Decide now (past the cut-off): form the group, or cancel and refund every order."""
    principal.require("write")
    return settle.decide(db, activity=code)


@router.get("/activities/{code}/leaders/{leader}/picklist", response_model=PickList)
def pick_list(code: str, leader: str, db: DbSession, principal: ApiPrincipal) -> PickList:
    principal.require("read")
    _leader_in_scope(db, principal, leader)
    return settle.pick_list(db, activity=code, leader=leader)


@router.post("/activities/{code}/leaders/{leader}/arrival", response_model=ArrivalResult)
def arrival(code: str, leader: str, db: DbSession, principal: ApiPrincipal) -> ArrivalResult:
    """The goods are at the leader's point: pickup codes issued, customers told."""
    principal.require("write")
    _leader_in_scope(db, principal, leader)
    return settle.arrive(db, activity=code, leader=leader, actor=principal.name)


@router.post("/orders", response_model=GroupOrderRead)
def place_order(data: GroupOrderCreate, db: DbSession, principal: ApiPrincipal) -> GroupOrderRead:
    """An order through a leader's link (idempotent on ``external_id``)."""
    principal.require("write")
    return service.place_order(db, data=data)


@router.get("/orders", response_model=list[GroupOrderRead])
def list_orders(
    db: DbSession,
    principal: ApiPrincipal,
    activity: str | None = None,
    leader: str | None = None,
    status: str | None = None,
) -> list[GroupOrderRead]:
    principal.require("read")
    return service.list_orders(
        db,
        activity=activity,
        leader=leader,
        status=status,
        store_codes=store_scope(principal).codes(),
    )


@router.post("/orders/{order_id}/refunds", response_model=GroupOrderRead)
def refund(
    order_id: OrderId, data: RefundIn, db: DbSession, principal: ApiPrincipal
) -> GroupOrderRead:
    principal.require("write")
    order = service.get_order(db, order_id=order_id)
    _leader_in_scope(db, principal, order.leader)
    return settle.refund(db, order_id=order_id, data=data)


@router.post("/leaders/{code}/pickups", response_model=GroupOrderRead)
def pick_up(code: str, data: PickupIn, db: DbSession, principal: ApiPrincipal) -> GroupOrderRead:
    """A customer collects at the leader's point with the pickup code."""
    principal.require("write")
    _leader_in_scope(db, principal, code)
    return settle.pick_up(db, leader=code, code=data.code, terminal=data.terminal)


@router.get("/leaders/{code}/commission", response_model=CommissionBalance)
def commission(code: str, db: DbSession, principal: ApiPrincipal) -> CommissionBalance:
    principal.require("read")
    _leader_in_scope(db, principal, code)
    return settle.balance(db, leader=code)


@router.post("/leaders/{code}/withdrawals", response_model=CommissionBalance)
def withdraw(
    code: str, data: WithdrawIn, db: DbSession, principal: ApiPrincipal
) -> CommissionBalance:
    principal.require("write")
    _leader_in_scope(db, principal, code)
    return settle.withdraw(db, leader=code, amount_fen=data.amount_fen, key=data.idempotency_key)


@router.get("/kpis", response_model=GroupBuyKpis)
def kpis(db: DbSession, principal: ApiPrincipal) -> GroupBuyKpis:
    """Per activity and leader: orders, GMV, 成团率, coupon redemption, no-shows, ranking."""
    principal.require("read")
    return kpi.kpis(db, store_codes=store_scope(principal).codes())
