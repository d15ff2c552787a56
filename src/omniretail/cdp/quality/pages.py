"""Console pages of 数据接入 (data intake): the sources with what became of their rows per
batch, and the quarantine — review, fix and re-check a row against the data contract, or
discard it.

Who sees what: the sources and the quarantine are the whole chain's intake, so only users who
see every store have them (admins, marketers, analysts). The quarantine's raw rows are
unvalidated exports with names and phones, and a bad row's store code is often the very
value that is wrong, so a row cannot be given to a store reliably: raw values are shown, and
fixed or discarded, only by users with personal-data rights over every store (admins).
Store users (store managers, clerks) see neither; their part of 数据接入 is the identity tool
for their own customers (``cdp/profile/identity_pages.py``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from omniretail.cdp.quality import labels, service
from omniretail.cdp.quality.errors import StillRejected
from omniretail.cdp.quality.recheck import is_event, is_unreadable
from omniretail.platform.auth.deps import DbSession, Principal, principal_from_user
from omniretail.platform.auth.errors import PermissionDenied
from omniretail.platform.console.csrf import CsrfProtected
from omniretail.platform.console.render import error_text, render
from omniretail.platform.console.session import ConsoleUser
from omniretail.platform.errors import DomainError
from omniretail.platform.i18n import N_
from omniretail.platform.timezone import to_wall_clock

router = APIRouter(tags=["console"])
PAGE_SIZE = 50


def sees_intake(principal: Principal) -> bool:
    """Every store's intake: users without a store list."""
    return principal.store_codes is None


def handles_rows(principal: Principal) -> bool:
    """Raw rows (personal data) of every store, and the right to change them."""
    return sees_intake(principal) and principal.can("pii") and principal.can("write")


def _require_intake(principal: Principal) -> None:
    if not sees_intake(principal):
        raise PermissionDenied(
            "the intake and its quarantine are shown to users who see every store",
            message=N_("The intake and its quarantine are shown to users who see every store."),
        )


def local_time(value: datetime | None) -> str:
    """An instant as the chain's wall clock, ``2026-11-02 09:04``."""
    return "—" if value is None else f"{to_wall_clock(value):%Y-%m-%d %H:%M}"


def _common(principal: Principal) -> dict[str, Any]:
    return {
        "labels": labels,
        "local_time": local_time,
        "handles_rows": handles_rows(principal),
        "sees_intake": sees_intake(principal),
    }


@router.get("/data", response_class=HTMLResponse)
def data_page(request: Request, user: ConsoleUser, db: DbSession) -> Response:
    principal = principal_from_user(user, db)
    if not sees_intake(principal):
        return RedirectResponse("/data/identity", status_code=303)
    report = service.report(db)
    return render(
        request,
        "quality/sources.html",
        {
            **_common(principal),
            "report": report,
            "batches": service.source_batches(db),
            "counts": service.quarantine_counts(db),
            "reasons": service.quarantine_reasons(db)[:8],
        },
    )


@router.get("/data/quarantine", response_class=HTMLResponse)
def quarantine_page(
    request: Request,
    user: ConsoleUser,
    db: DbSession,
    source: str = Query("", max_length=64),
    status: str = Query("open", max_length=16),
    reason: str = Query("", max_length=128),
    page: int = Query(1, ge=1, le=100_000),
) -> Response:
    principal = principal_from_user(user, db)
    _require_intake(principal)
    status = status if status in labels.STATUSES else "open"
    filters = {"source": source or None, "status": status, "reason": reason or None}
    total = service.count_quarantine(db, **filters)
    records = service.list_quarantine(db, **filters, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    return render(
        request,
        "quality/quarantine.html",
        {
            **_common(principal),
            "records": records,
            "total": total,
            "page": page,
            "pages": max(1, -(-total // PAGE_SIZE)),
            "source": source,
            "status": status,
            "reason": reason,
            "counts": service.quarantine_counts(db),
            "sources": sorted(service.source_batches(db)),
            "reasons": service.quarantine_reasons(db),
        },
    )


def _record_page(
    request: Request,
    db: DbSession,
    principal: Principal,
    record_id: int,
    *,
    status_code: int = 200,
    **extra: Any,
) -> HTMLResponse:
    rec = service.get_record(db, record_id=record_id)
    return render(
        request,
        "quality/record.html",
        {
            **_common(principal),
            "rec": rec,
            "is_event": is_event(rec),
            "is_unreadable": is_unreadable(rec),
            **extra,
        },
        status_code=status_code,
    )


@router.get("/data/quarantine/{record_id}", response_class=HTMLResponse)
def record_page(request: Request, record_id: int, user: ConsoleUser, db: DbSession) -> HTMLResponse:
    principal = principal_from_user(user, db)
    _require_intake(principal)
    done = request.query_params.get("done")
    return _record_page(request, db, principal, record_id, done=done)


def _require_rows(principal: Principal) -> None:
    if not handles_rows(principal):
        raise PermissionDenied(
            "only administrators see and change quarantined rows (they hold personal data)",
            message=N_(
                "Only administrators see and change quarantined rows (they hold personal data)."
            ),
        )


@router.post(
    "/data/quarantine/{record_id}/fix", response_class=HTMLResponse, dependencies=[CsrfProtected]
)
async def fix_record(
    request: Request, record_id: int, user: ConsoleUser, db: DbSession
) -> Response:
    principal = principal_from_user(user, db)
    _require_rows(principal)
    form = await request.form()
    rec = service.get_record(db, record_id=record_id)
    values: dict[str, Any] = {}
    for key, old in rec.raw.items():
        new = form.get(f"col:{key}")
        if not isinstance(new, str):
            continue
        new_value = new if new.strip() != "" else None
        if new_value != (None if old is None else str(old)):
            values[key] = new_value
    note = str(form.get("note") or "").strip()[:500] or None
    try:
        with db.begin_nested():
            service.fix_and_check(
                db, record_id=record_id, values=values, actor=principal.name, note=note
            )
    except StillRejected as exc:
        return _record_page(
            request, db, principal, record_id, status_code=422,
            still=labels.reason_label(exc.reason), still_code=exc.reason, form=values,
        )  # fmt: skip
    except DomainError as exc:
        return _record_page(
            request, db, principal, record_id, status_code=exc.status,
            error=error_text(request, exc), form=values,
        )  # fmt: skip
    return RedirectResponse(f"/data/quarantine/{record_id}?done=fixed", status_code=303)


@router.post(
    "/data/quarantine/{record_id}/discard",
    response_class=HTMLResponse,
    dependencies=[CsrfProtected],
)
async def discard_record(
    request: Request, record_id: int, user: ConsoleUser, db: DbSession
) -> Response:
    principal = principal_from_user(user, db)
    _require_rows(principal)
    form = await request.form()
    note = str(form.get("note") or "")[:500]
    try:
        with db.begin_nested():
            service.discard_record(db, record_id=record_id, actor=principal.name, note=note)
    except DomainError as exc:
        return _record_page(
            request, db, principal, record_id, status_code=exc.status,
            error=error_text(request, exc),
        )  # fmt: skip
    return RedirectResponse(f"/data/quarantine/{record_id}?done=discarded", status_code=303)
