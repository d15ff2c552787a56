"""``/api/v1/messages``: queue a message (the typed request), receipts from providers, the
click redirect (``GET /r/{key}``) and dispatching the outbox on demand."""

from __future__ import annotations

from fastapi import APIRouter, Query
from fastapi.responses import RedirectResponse

from omniretail.platform.auth.deps import ApiPrincipal, DbSession
from omniretail.platform.bounds import DbId
from omniretail.platform.db import session_factory
from omniretail.platform.messaging import service
from omniretail.platform.messaging.schemas import (
    DispatchRead,
    MessageRead,
    MessageRequest,
    ReceiptIn,
    ReceiptRead,
)

router = APIRouter(prefix="/messages", tags=["messaging"])
root_router = APIRouter(tags=["messaging"])


@router.post("", response_model=MessageRead)
def enqueue(body: MessageRequest, db: DbSession, principal: ApiPrincipal) -> MessageRead:
    """Queue one message (idempotent on ``idempotency_key``: a retry returns the same one)."""
    principal.require("write")
    return service.enqueue(db, body)


@router.get("/by-key/{key}", response_model=MessageRead)
def by_key(key: str, db: DbSession, principal: ApiPrincipal) -> MessageRead:
    principal.require("read")
    return service.get_message(db, key=key)


@router.post("/{message_id}/events", response_model=ReceiptRead)
def receipt(
    message_id: DbId, body: ReceiptIn, db: DbSession, principal: ApiPrincipal
) -> ReceiptRead:
    principal.require("write")
    created = service.record_event(db, message_id=message_id, kind=body.kind, detail=body.detail)
    return ReceiptRead(message_id=message_id, kind=body.kind, recorded=created)


@router.post("/dispatch", response_model=DispatchRead)
def dispatch(principal: ApiPrincipal, limit: int = Query(500, ge=1, le=10_000)) -> DispatchRead:
    principal.require("write")
    r = service.dispatch(session_factory(), limit=limit)
    return DispatchRead(
        claimed=r.claimed, sent=r.sent, retried=r.retried, failed=r.failed, by_channel=r.by_channel
    )


@root_router.get("/r/{key}", include_in_schema=False)
def click(key: str, db: DbSession) -> RedirectResponse:
    return RedirectResponse(service.click(db, key=key), status_code=302)
