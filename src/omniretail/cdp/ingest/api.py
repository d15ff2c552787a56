"""HTTP: the Segment/RudderStack tracking spec at the site root (``/v1/batch`` ...) and the
ingest JSON API under ``/api/v1/ingest``.

Point an existing Segment or RudderStack SDK's host at this server and use an API key with
the ``events`` scope as the write key (HTTP basic-auth username, empty password).
"""

from __future__ import annotations

import base64
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from omniretail.cdp.ingest import events
from omniretail.cdp.ingest import service as ingest_service
from omniretail.platform.auth.deps import ApiPrincipal, DbSession
from omniretail.platform.db import get_engine, session_factory

root_router = APIRouter(tags=["tracking"])
router = APIRouter(prefix="/ingest", tags=["ingest"])


def _write_key(request: Request, body: Any) -> str:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("basic "):
        try:
            decoded = base64.b64decode(header[6:].strip()).decode()
        except (ValueError, UnicodeDecodeError):
            decoded = ""
        return decoded.split(":", 1)[0]
    if isinstance(body, dict) and isinstance(body.get("writeKey"), str):
        return str(body["writeKey"])
    return ""


def _store(write_key: str, kind: str, data: Any, endpoint: str) -> events.Accepted:
    with session_factory()() as session:
        source = events.source_for_write_key(session, write_key)
        session.commit()
    batch = events.events_of(data, kind)
    with get_engine().begin() as conn:  # committed before the response is sent
        return events.store_events(conn, source=source, events=batch, endpoint=endpoint)


async def _handle(request: Request, kind: str) -> JSONResponse:
    body = await request.body()
    data = events.decode_body(body, request.headers.get("content-encoding"))
    key = _write_key(request, data)
    result = await run_in_threadpool(_store, key, kind, data, request.url.path)
    return JSONResponse(
        {
            "success": True,
            "received": result.received,
            "accepted": result.accepted,
            "duplicates": result.duplicates,
            "quarantined": result.quarantined,
        }
    )


@root_router.post("/v1/batch", summary="Segment batch: many events in one request")
async def batch(request: Request) -> JSONResponse:
    return await _handle(request, "batch")


@root_router.post("/v1/identify", summary="Segment identify: who the user is (traits)")
async def identify(request: Request) -> JSONResponse:
    return await _handle(request, "identify")


@root_router.post("/v1/track", summary="Segment track: something the user did")
async def track(request: Request) -> JSONResponse:
    return await _handle(request, "track")


@root_router.post("/v1/page", summary="Segment page view")
async def page(request: Request) -> JSONResponse:
    return await _handle(request, "page")


@root_router.post("/v1/screen", summary="Segment screen view (apps)")
async def screen(request: Request) -> JSONResponse:
    return await _handle(request, "screen")


@root_router.post("/v1/alias", summary="Segment alias: link a previous id to a user id")
async def alias(request: Request) -> JSONResponse:
    return await _handle(request, "alias")


@root_router.post("/v1/group", summary="Segment group (stored, not interpreted)")
async def group(request: Request) -> JSONResponse:
    return await _handle(request, "group")


@router.get("/stats", summary="Per event source: received, accepted, duplicates, quarantined")
def ingest_stats(db: DbSession, principal: ApiPrincipal) -> list[dict[str, Any]]:
    principal.require("read")
    return events.stats(db)


@router.get("/batches", summary="Landing batches")
def landing_batches(
    db: DbSession, principal: ApiPrincipal, source: str | None = None
) -> list[dict[str, Any]]:
    principal.require("read")
    return [
        {
            "batch_id": b.batch_id,
            "source": b.source,
            "file": b.file,
            "rows": b.rows,
            "sha256": b.sha256,
            "status": b.status,
            "loaded_at": b.loaded_at,
        }
        for b in ingest_service.batches(db, source=source)
    ]
