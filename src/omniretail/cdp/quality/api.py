"""Quality API under ``/api/v1/quality``: report, quarantine list, show and fix."""

from __future__ import annotations

from fastapi import APIRouter, Query

from omniretail.cdp.quality import service
from omniretail.cdp.quality.schemas import QuarantineFix, QuarantineRead, SourceQuality
from omniretail.platform.auth.deps import ApiPrincipal, DbSession
from omniretail.platform.bounds import DB_ID_MAX, DbId

router = APIRouter(prefix="/quality", tags=["quality"])


@router.get(
    "/report",
    summary="Per source: rows read, accepted, fixed, filled, quarantined",
    response_model=list[SourceQuality],
)
def quality_report(
    db: DbSession, principal: ApiPrincipal, source: str | None = None
) -> list[SourceQuality]:
    principal.require("read")
    return [SourceQuality.model_validate(r) for r in service.report(db, source=source)]


@router.get("/quarantine", summary="Quarantined records (raw rows hold personal data)")
def quarantine_list(
    db: DbSession,
    principal: ApiPrincipal,
    source: str | None = None,
    status: str | None = None,
    reason: str | None = None,
    limit: int = Query(100, ge=1, le=1000),
    offset: int = Query(0, ge=0, le=DB_ID_MAX),
) -> list[QuarantineRead]:
    principal.require("admin")
    recs = service.list_quarantine(
        db, source=source, status=status, reason=reason, limit=min(limit, 1000), offset=offset
    )
    return [QuarantineRead(**service.record_dict(r)) for r in recs]


@router.get("/quarantine/{record_id}", summary="One quarantined record")
def quarantine_show(record_id: DbId, db: DbSession, principal: ApiPrincipal) -> QuarantineRead:
    principal.require("admin")
    return QuarantineRead(**service.record_dict(service.get_record(db, record_id=record_id)))


@router.patch("/quarantine/{record_id}", summary="Fix a quarantined raw row (then reprocess)")
def quarantine_fix(
    record_id: DbId, body: QuarantineFix, db: DbSession, principal: ApiPrincipal
) -> QuarantineRead:
    principal.require("admin")
    rec = service.fix_record(
        db, record_id=record_id, raw=body.raw, set_values=body.set_values, note=body.note
    )
    return QuarantineRead(**service.record_dict(rec))
