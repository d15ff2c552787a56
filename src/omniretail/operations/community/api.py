"""``/api/v1/community``: the group registry (register, import a WeCom export, members, leave,
daily statistics), group health, live codes (create, join through a scan), referral
campaigns (shares, the invite tree with K-factor), check-ins and the streak → points table.
A caller bound to stores sees their stores' groups and codes only."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter
from pydantic import BaseModel, Field

from omniretail.operations.community import checkin, livecode, referral, service
from omniretail.operations.community.schemas import (
    CampaignIn,
    CampaignRead,
    CampaignStats,
    CheckInIn,
    CheckInRead,
    GroupHealth,
    GroupIn,
    GroupRead,
    ImportMapping,
    ImportResult,
    JoinIn,
    JoinResult,
    LiveCodeIn,
    LiveCodeRead,
    MemberIn,
    MemberRead,
    StreakRow,
)
from omniretail.platform.auth.deps import ApiPrincipal, DbSession
from omniretail.platform.auth.scope import store_scope

router = APIRouter(prefix="/community", tags=["community"])


class ImportIn(BaseModel):
    csv_text: str = Field(min_length=1, max_length=20_000_000)
    mapping: ImportMapping = Field(default_factory=ImportMapping)
    store_code: str | None = Field(default=None, max_length=32)
    kind: str = Field(default="marketing", pattern="^(marketing|content|service)$")


class LeaveIn(BaseModel):
    member_key: str = Field(min_length=1, max_length=64)


class DayIn(BaseModel):
    day: date
    messages: int = Field(ge=0, le=10_000_000)
    speakers: int = Field(ge=0, le=100_000)


class SharesIn(BaseModel):
    member_key: str = Field(min_length=1, max_length=64)
    count: int = Field(default=1, ge=1, le=10_000)


class Count(BaseModel):
    count: int


def _group_in_scope(db: DbSession, principal: ApiPrincipal, chat_id: str) -> GroupRead:
    g = service.get_group(db, chat_id=chat_id)
    store_scope(principal).require(g.store_code)
    return g


@router.get("/groups", response_model=list[GroupRead])
def list_groups(db: DbSession, principal: ApiPrincipal) -> list[GroupRead]:
    principal.require("read")
    return service.list_groups(db, store_codes=store_scope(principal).codes())


@router.post("/groups", response_model=GroupRead)
def upsert_group(data: GroupIn, db: DbSession, principal: ApiPrincipal) -> GroupRead:
    principal.require("write")
    store_scope(principal).require(data.store_code)
    return service.upsert_group(db, data=data)


@router.post("/groups/import", response_model=ImportResult)
def import_groups(data: ImportIn, db: DbSession, principal: ApiPrincipal) -> ImportResult:
    """A WeCom customer-group export (CSV, one row per member) through a column mapping;
    unreadable rows come back with their reason."""
    principal.require("write")
    store_scope(principal).require(data.store_code)
    return service.import_csv(
        db, text=data.csv_text, mapping=data.mapping, store_code=data.store_code, kind=data.kind
    )


@router.get("/groups/{chat_id}/members", response_model=list[MemberRead])
def group_members(chat_id: str, db: DbSession, principal: ApiPrincipal) -> list[MemberRead]:
    principal.require("read")
    _group_in_scope(db, principal, chat_id)
    return service.members(db, chat_id=chat_id)


@router.post("/groups/{chat_id}/members", response_model=MemberRead)
def add_member(chat_id: str, data: MemberIn, db: DbSession, principal: ApiPrincipal) -> MemberRead:
    principal.require("write")
    _group_in_scope(db, principal, chat_id)
    row, _ = service.add_member(db, chat_id=chat_id, data=data)
    return MemberRead.model_validate(row)


@router.post("/groups/{chat_id}/leave", response_model=Count)
def leave(chat_id: str, data: LeaveIn, db: DbSession, principal: ApiPrincipal) -> Count:
    principal.require("write")
    _group_in_scope(db, principal, chat_id)
    return Count(count=int(service.leave(db, chat_id=chat_id, member_key=data.member_key)))


@router.post("/groups/{chat_id}/days", response_model=Count)
def record_day(chat_id: str, data: DayIn, db: DbSession, principal: ApiPrincipal) -> Count:
    principal.require("write")
    _group_in_scope(db, principal, chat_id)
    service.record_day(
        db, chat_id=chat_id, day=data.day, messages=data.messages, speakers=data.speakers
    )
    return Count(count=1)


@router.get("/health", response_model=list[GroupHealth])
def health(db: DbSession, principal: ApiPrincipal) -> list[GroupHealth]:
    principal.require("read")
    return service.health(db, store_codes=store_scope(principal).codes())


@router.get("/codes", response_model=list[LiveCodeRead])
def list_codes(db: DbSession, principal: ApiPrincipal) -> list[LiveCodeRead]:
    principal.require("read")
    return livecode.list_codes(db, store_codes=store_scope(principal).codes())


@router.put("/codes", response_model=LiveCodeRead)
def put_code(data: LiveCodeIn, db: DbSession, principal: ApiPrincipal) -> LiveCodeRead:
    """Create a live code or replace its groups (add the next group when it asks for one)."""
    principal.require("write")
    store_scope(principal).require(data.store_code)
    return livecode.create_code(db, data=data)


@router.post("/codes/{code}/joins", response_model=JoinResult)
def join(code: str, data: JoinIn, db: DbSession, principal: ApiPrincipal) -> JoinResult:
    """A scan that ends in a join: the first group with room; 409 when all are full."""
    principal.require("write")
    return livecode.join(db, code=code, data=data)


@router.get("/campaigns", response_model=list[CampaignStats])
def list_campaigns(db: DbSession, principal: ApiPrincipal) -> list[CampaignStats]:
    principal.require("read")
    return referral.list_campaigns(db)


@router.post("/campaigns", response_model=CampaignStats)
def create_campaign(data: CampaignIn, db: DbSession, principal: ApiPrincipal) -> CampaignStats:
    principal.require("write")
    return referral.create_campaign(db, data=data)


@router.get("/campaigns/{code}", response_model=CampaignRead)
def campaign(code: str, db: DbSession, principal: ApiPrincipal) -> CampaignRead:
    """The invite tree, invitations, conversion and K-factor."""
    principal.require("read")
    return referral.campaign_read(db, campaign=code)


@router.post("/campaigns/{code}/shares", response_model=Count)
def shares(code: str, data: SharesIn, db: DbSession, principal: ApiPrincipal) -> Count:
    principal.require("write")
    return Count(
        count=referral.record_shares(
            db, campaign=code, member_key=data.member_key, count=data.count
        )
    )


@router.post("/checkins", response_model=CheckInRead)
def check_in(data: CheckInIn, db: DbSession, principal: ApiPrincipal) -> CheckInRead:
    """Once per member per day (chain time); a retry returns the first check-in."""
    principal.require("write")
    return checkin.check_in(db, data=data)


@router.get("/streak-points", response_model=dict[int, int])
def streak_points(db: DbSession, principal: ApiPrincipal) -> dict[int, int]:
    principal.require("read")
    return checkin.table(db)


@router.put("/streak-points", response_model=dict[int, int])
def set_streak_points(
    rows: list[StreakRow], db: DbSession, principal: ApiPrincipal
) -> dict[int, int]:
    principal.require("admin")
    return checkin.set_table(db, rows=rows)
