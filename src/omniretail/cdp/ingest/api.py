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
from omniretail.cdp.ingest.errors import BodyTooLarge
from omniretail.cdp.ingest.schemas import BatchRead, EventAck, SourceStats
from omniretail.platform.auth.deps import ApiPrincipal, DbSession
from omniretail.platform.db import get_engine, session_factory

root_router = APIRouter(tags=["tracking"])
router = APIRouter(prefix="/ingest", tags=["ingest"])
# the tracking calls answer with a prebuilt JSONResponse (fast path); documented as EventAck
ACK: dict[int | str, dict[str, Any]] = {200: {"model": EventAck}}


def _header_write_key(request: Request) -> str | None:
    """The write key of the basic-auth header (its username), or None without that header."""
    header = request.headers.get("authorization", "")
    if not header.lower().startswith("basic "):
        return None
    try:
        decoded = base64.b64decode(header[6:].strip()).decode()
    except (ValueError, UnicodeDecodeError):
        decoded = ""
    return decoded.split(":", 1)[0]


def _body_write_key(body: Any) -> str:
    if isinstance(body, dict) and isinstance(body.get("writeKey"), str):
        return str(body["writeKey"])
    return ""


def _source(write_key: str) -> str:
    with session_factory()() as session:
        source = events.source_for_write_key(session, write_key)
        session.commit()
    return source


def _store(source: str, kind: str, data: Any, endpoint: str) -> events.Accepted:
    batch = events.events_of(data, kind)
    with get_engine().begin() as conn:  # committed before the response is sent
        return events.store_events(conn, source=source, events=batch, endpoint=endpoint)


async def _read_body(request: Request, limit: int) -> bytes:
    """The raw body, refused (413) as soon as it passes ``limit`` bytes."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge(f"body larger than {limit} bytes; send smaller batches", field="body")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise BodyTooLarge(
                f"body larger than {limit} bytes; send smaller batches", field="body"
            )
    return bytes(body)


async def _handle(request: Request, kind: str) -> JSONResponse:
    # the write key of the header is checked before the body is even decompressed; a key sent
    # in the body (Segment allows it) is read after a decompression bounded by MAX_BODY.
    # Decompression, parsing and storing run in worker threads, off the event loop.
    body = await _read_body(request, events.MAX_BODY)
    key = _header_write_key(request)
    source = await run_in_threadpool(_source, key) if key is not None else None
    encoding = request.headers.get("content-encoding")
    data = await run_in_threadpool(events.decode_body, body, encoding)
    if source is None:
        source = await run_in_threadpool(_source, _body_write_key(data))
    result = await run_in_threadpool(_store, source, kind, data, request.url.path)
    return JSONResponse(
        {
            "success": True,
            "received": result.received,
            "accepted": result.accepted,
            "duplicates": result.duplicates,
            "quarantined": result.quarantined,
        }
    )


@root_router.post("/v1/batch", summary="Segment batch: many events in one request", responses=ACK)
async def batch(request: Request) -> JSONResponse:
    return await _handle(request, "batch")


@root_router.post(
    "/v1/identify", summary="Segment identify: who the user is (traits)", responses=ACK
)
async def identify(request: Request) -> JSONResponse:
    return await _handle(request, "identify")


@root_router.post("/v1/track", summary="Segment track: something the user did", responses=ACK)
async def track(request: Request) -> JSONResponse:
    return await _handle(request, "track")


@root_router.post("/v1/page", summary="Segment page view", responses=ACK)
async def page(request: Request) -> JSONResponse:
    return await _handle(request, "page")


@root_router.post("/v1/screen", summary="Segment screen view (apps)", responses=ACK)
async def screen(request: Request) -> JSONResponse:
    return await _handle(request, "screen")


@root_router.post(
    "/v1/alias", summary="Segment alias: link a previous id to a user id", responses=ACK
)
async def alias(request: Request) -> JSONResponse:
    return await _handle(request, "alias")


@root_router.post("/v1/group", summary="Segment group (stored, not interpreted)", responses=ACK)
async def group(request: Request) -> JSONResponse:
    return await _handle(request, "group")


@router.get(
    "/stats",
    summary="Per event source: received, accepted, duplicates, quarantined",
    response_model=list[SourceStats],
)
def ingest_stats(db: DbSession, principal: ApiPrincipal) -> list[SourceStats]:
    principal.require("read")
    return [SourceStats.model_validate(row) for row in events.stats(db)]


@router.get("/batches", summary="Landing batches", response_model=list[BatchRead])
def landing_batches(
    db: DbSession, principal: ApiPrincipal, source: str | None = None
) -> list[BatchRead]:
    principal.require("read")
    return [
        BatchRead(
            batch_id=b.batch_id,
            source=b.source,
            file=b.file,
            rows=b.rows,
            sha256=b.sha256,
            status=b.status,
            loaded_at=b.loaded_at,
        )
        for b in ingest_service.batches(db, source=source)
    ]
