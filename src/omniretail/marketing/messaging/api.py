"""Receipts from providers (``POST /api/v1/messages/{id}/events``), the click redirect
(``GET /r/{key}``) and dispatching the outbox on demand."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import RedirectResponse
from pydantic import BaseModel
from sqlalchemy import select

from omniretail.marketing.messaging import service
from omniretail.marketing.messaging.models import Message
from omniretail.platform.auth.deps import ApiPrincipal, DbSession
from omniretail.platform.db import session_factory
from omniretail.platform.errors import NotFound

router = APIRouter(prefix="/messages", tags=["messaging"])
root_router = APIRouter(tags=["messaging"])


class ReceiptIn(BaseModel):
    kind: str
    detail: dict[str, Any] | None = None


@router.post("/{message_id}/events")
def receipt(
    message_id: int, body: ReceiptIn, db: DbSession, principal: ApiPrincipal
) -> dict[str, Any]:
    principal.require("write")
    created = service.record_event(db, message_id=message_id, kind=body.kind, detail=body.detail)
    return {"message_id": message_id, "kind": body.kind, "recorded": created}


@router.post("/dispatch")
def dispatch(principal: ApiPrincipal, limit: int = 500) -> dict[str, Any]:
    principal.require("write")
    r = service.dispatch(session_factory(), limit=limit)
    return {
        "claimed": r.claimed,
        "sent": r.sent,
        "retried": r.retried,
        "failed": r.failed,
        "by_channel": r.by_channel,
    }


@root_router.get("/r/{key}", include_in_schema=False)
def click(key: str, db: DbSession) -> RedirectResponse:
    msg = db.scalar(select(Message).where(Message.key == key))
    if msg is None:
        raise NotFound("unknown link", field="key")
    service.record_event(db, message_id=msg.id, kind="clicked")
    target = (msg.payload or {}).get("target") or "/"
    return RedirectResponse(str(target), status_code=302)
