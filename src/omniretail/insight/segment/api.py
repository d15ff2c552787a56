"""Segment API: live count preview, saved segments, snapshots, CSV export."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Query
from fastapi.responses import Response

from omniretail.insight.segment import service
from omniretail.insight.segment.errors import SegmentNotFound
from omniretail.insight.segment.schemas import (
    DormantMember,
    SegmentCount,
    SegmentCreate,
    SegmentPreview,
    SegmentRead,
    SegmentUpdate,
    SnapshotRead,
)
from omniretail.insight.tag.service import dormant_members
from omniretail.platform.auth.deps import ApiPrincipal, DbSession
from omniretail.platform.auth.scope import store_scope
from omniretail.platform.bounds import DbId
from omniretail.platform.engine.snapshot import NOT_COMPUTED_RESPONSES, run_on_published

router = APIRouter(prefix="/segments", tags=["segments"])


@router.post("/preview", response_model=SegmentCount, responses=NOT_COMPUTED_RESPONSES)
def preview(body: SegmentPreview, db: DbSession, principal: ApiPrincipal) -> SegmentCount:
    """Count a rule on the published snapshot, with breakdown by store/region/channel/tier."""
    principal.require("read")
    codes = store_scope(principal).codes()
    result: dict[str, Any] = run_on_published(
        lambda e: service.count_segment(e, body.rule, store_codes=codes, breakdown=body.breakdown)
    )
    return SegmentCount.model_validate(result)


@router.get("/dormant", response_model=list[DormantMember], responses=NOT_COMPUTED_RESPONSES)
def dormant(
    db: DbSession, principal: ApiPrincipal, limit: int = Query(200, ge=1, le=5000)
) -> list[DormantMember]:
    """Dormant members for reactivation, most valuable first."""
    principal.require("read")
    codes = store_scope(principal).codes()
    rows: list[dict[str, Any]] = run_on_published(
        lambda e: dormant_members(e, store_codes=codes, limit=min(limit, 5000))
    )
    return [DormantMember.model_validate(r) for r in rows]


@router.get("", response_model=list[SegmentRead])
def list_segments(db: DbSession, principal: ApiPrincipal) -> list[Any]:
    principal.require("read")
    return list(service.list_segments(db, store_codes=store_scope(principal).codes()))


@router.post("", response_model=SegmentRead, status_code=201)
def create(body: SegmentCreate, db: DbSession, principal: ApiPrincipal) -> Any:
    principal.require("write")
    return service.create_segment(
        db,
        name=body.name,
        rule=body.rule,
        description=body.description,
        refresh=body.refresh,
        store_codes=store_scope(principal).codes(),
        created_by=principal.name,
    )


@router.get("/{segment_id}", response_model=SegmentRead)
def read(segment_id: DbId, db: DbSession, principal: ApiPrincipal) -> Any:
    principal.require("read")
    return _visible(db, principal, segment_id)


@router.patch("/{segment_id}", response_model=SegmentRead)
def change(segment_id: DbId, body: SegmentUpdate, db: DbSession, principal: ApiPrincipal) -> Any:
    """Change a saved segment's name, rule, description or refresh (only the fields sent)."""
    principal.require("write")
    _visible(db, principal, segment_id)
    return service.update_segment(db, segment_id, **body.model_dump(exclude_unset=True))


@router.delete("/{segment_id}", status_code=204)
def delete(segment_id: DbId, db: DbSession, principal: ApiPrincipal) -> Response:
    principal.require("write")
    _visible(db, principal, segment_id)
    service.delete_segment(db, segment_id)
    return Response(status_code=204)


@router.get("/{segment_id}/snapshots", response_model=list[SnapshotRead])
def snapshots(segment_id: DbId, db: DbSession, principal: ApiPrincipal) -> list[Any]:
    principal.require("read")
    _visible(db, principal, segment_id)
    return list(service.snapshots(db, segment_id))


@router.get(
    "/{segment_id}/export.csv",
    response_class=Response,
    responses={
        200: {"content": {"text/csv": {}}, "description": "customer ids, one a line"},
        **NOT_COMPUTED_RESPONSES,
    },
)
def export_csv(segment_id: DbId, db: DbSession, principal: ApiPrincipal) -> Response:
    """Current members of a saved segment as CSV (from the published snapshot)."""
    principal.require("read")
    seg = _visible(db, principal, segment_id)
    codes = store_scope(principal).codes()
    scope = codes if codes is not None else seg.store_codes
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "members.csv"
        run_on_published(lambda e: service.export_members_csv(e, seg.rule, out, store_codes=scope))
        data = out.read_bytes()
    return Response(
        content=data,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="segment-{segment_id}.csv"'},
    )


def _visible(db: DbSession, principal: ApiPrincipal, segment_id: int) -> Any:
    seg = service.get_segment(db, segment_id)
    codes = store_scope(principal).codes()
    if codes is not None and not (seg.store_codes and set(seg.store_codes) <= set(codes)):
        raise SegmentNotFound(
            f"segment {segment_id} does not exist",
            field="segment_id",
            message=service.NOT_FOUND,
            params={"id": segment_id},
        )
    return seg
