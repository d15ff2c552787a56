"""``/api/v1/privacy``: data-subject requests, for administrators — export everything held
about a customer, erase them everywhere, and the log of requests."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Path, Query

from omniretail.platform.auth.deps import ApiPrincipal, DbSession
from omniretail.platform.db import get_engine
from omniretail.platform.errors import InvalidInput
from omniretail.platform.i18n import N_
from omniretail.platform.privacy import service
from omniretail.platform.privacy.schemas import (
    ErasureReport,
    ErasureRequest,
    PrivacyExport,
    PrivacyRequestRead,
)

router = APIRouter(prefix="/privacy", tags=["privacy"])
CustomerId = Annotated[str, Path(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_\-]+$")]


@router.get("/customers/{customer_id}/export", response_model=PrivacyExport)
def export(
    customer_id: CustomerId,
    db: DbSession,
    principal: ApiPrincipal,
    reason: Annotated[str | None, Query(max_length=200)] = None,
) -> PrivacyExport:
    """Everything held about the customer, by place (administrators; recorded in the audit)."""
    principal.require("admin")
    data = service.export(db, customer_id)
    service.record_export(db, data["customer_id"], actor=principal.name, reason=reason)
    return PrivacyExport.model_validate(data)


@router.post("/customers/{customer_id}/erase", response_model=ErasureReport)
def erase(
    customer_id: CustomerId,
    body: ErasureRequest,
    db: DbSession,
    principal: ApiPrincipal,
    tasks: BackgroundTasks,
) -> ErasureReport:
    """Erase the customer everywhere, irreversibly (administrators). ``confirm`` must repeat
    the customer id."""
    principal.require("admin")
    if body.confirm.strip() != customer_id:
        raise InvalidInput(
            "confirm must repeat the customer id",
            field="confirm",
            message=N_("Type the customer id again to confirm the erasure."),
        )
    report = service.erase(db, customer_id, actor=principal.name, reason=body.reason)
    tasks.add_task(service.compact_store, get_engine())
    return ErasureReport.model_validate(report)


@router.get("/requests", response_model=list[PrivacyRequestRead])
def requests(
    db: DbSession,
    principal: ApiPrincipal,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> list[PrivacyRequestRead]:
    """The latest export and erase requests (from the audit trail)."""
    principal.require("admin")
    return [PrivacyRequestRead.model_validate(r) for r in service.requests(db, limit=limit)]
