"""Live sessions API: record sessions and content pieces, list them with their flag, import a
platform's viewer export."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body

from omniretail.marketing.live import service
from omniretail.marketing.live.schemas import (
    LiveSessionCreate,
    LiveSessionRead,
    PlatformRow,
    SessionFiguresRead,
    ViewerImport,
)
from omniretail.platform.auth.deps import ApiPrincipal, DbSession
from omniretail.platform.errors import InvalidInput

router = APIRouter(prefix="/live", tags=["live"])
MAX_EXPORT_BYTES = 20 * 1024 * 1024


@router.post("/sessions", response_model=LiveSessionRead, status_code=201)
def create(body: LiveSessionCreate, db: DbSession, principal: ApiPrincipal) -> Any:
    principal.require("write")
    row = service.create_session(db, data=body)
    return next(s for s in service.list_sessions(db) if s["code"] == row.code)


@router.get("/sessions", response_model=list[LiveSessionRead])
def list_all(db: DbSession, principal: ApiPrincipal) -> Any:
    principal.require("read")
    return service.list_sessions(db)


@router.post("/viewers", response_model=ViewerImport)
def import_viewers(
    body: Annotated[bytes, Body(media_type="text/csv")], db: DbSession, principal: ApiPrincipal
) -> Any:
    """The body is the platform's viewer export as CSV (UTF-8)."""
    principal.require("write")
    if len(body) > MAX_EXPORT_BYTES:
        raise InvalidInput("the viewer export is larger than 20 MiB", field="file")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidInput("the viewer export is not UTF-8 text", field="file") from exc
    return service.import_viewers(db, text=text)


@router.get("/figures", response_model=list[SessionFiguresRead])
def figures(db: DbSession, principal: ApiPrincipal) -> Any:
    """Per session: viewers, orders and GMV online and in stores, coupons claimed and redeemed
    in stores, new members, store visits (the attribution rule of docs/live.md)."""
    principal.require("read")
    return service.figures_now(db)


@router.get("/platforms", response_model=list[PlatformRow])
def platforms(db: DbSession, principal: ApiPrincipal, by: Literal["all", "month"] = "all") -> Any:
    """Per platform and account (``by=month``: and per month of the sessions' start, to
    follow them over time): sessions, viewers, engagement, new followers, orders, GMV, cost,
    conversion, cost per order."""
    principal.require("read")
    return service.platform_comparison(service.figures_now(db), by=by)
