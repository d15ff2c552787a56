"""Console: 数据接入 · 身份合并 — why records are one customer, merge two customers, split
records off one, and the manual decisions taken so far (``/data/identity``).

The same rules as the ``/api/v1/identity`` routes: a customer is found only within the user's
stores (a store manager merges and splits their own customers), merging and splitting need
the write right and a reason (audited), evidence values are masked for roles without personal
data. The list of earlier decisions names records of every store, so only users who see every
store have it."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from omniretail.cdp.identity import explain as explain_mod
from omniretail.cdp.identity import labels as identity_labels
from omniretail.cdp.identity import service as identity_service
from omniretail.cdp.profile import masking
from omniretail.cdp.profile import service as profile_service
from omniretail.cdp.quality import labels as intake_labels
from omniretail.platform.auth.deps import DbSession, Principal, principal_from_user
from omniretail.platform.console.csrf import CsrfProtected
from omniretail.platform.console.render import error_text, render
from omniretail.platform.console.session import ConsoleUser
from omniretail.platform.engine.snapshot import published_engine
from omniretail.platform.errors import DomainError, InvalidInput
from omniretail.platform.i18n import N_

router = APIRouter(tags=["console"])
RECENT = 20


def _explanation(db: DbSession, principal: Principal, identifier: str) -> dict[str, Any]:
    customer = profile_service.get_visible_customer(db, principal, identifier)
    engine = published_engine()
    try:
        found = explain_mod.explain(engine, customer.customer_id)
    finally:
        engine.close()
    if not principal.sees_personal_data:
        for edge in found.edges:
            edge.evidence = masking.mask_evidence(edge.evidence)
        for chain in found.chains:
            for link in chain.links:
                link.evidence = masking.mask_evidence(link.evidence)
    return {"customer": customer, "found": found}


def _page(
    request: Request,
    db: DbSession,
    principal: Principal,
    *,
    q: str = "",
    status_code: int = 200,
    **extra: Any,
) -> HTMLResponse:
    context: dict[str, Any] = {
        "q": q,
        "ilabels": identity_labels,
        "labels": intake_labels,
        "sees_intake": principal.store_codes is None,
        "can_write": principal.can("write"),
        "decisions": [],
        **extra,
    }
    if principal.store_codes is None:
        items = identity_service.list_constraints(db, include_inactive=True)
        context["decisions"] = list(reversed(items[-RECENT:]))
    if q.strip() and "found" not in extra:
        try:
            context.update(_explanation(db, principal, q.strip()))
        except DomainError as exc:
            context["lookup_error"] = error_text(request, exc)
            status_code = max(status_code, exc.status)
    return render(request, "profile/identity.html", context, status_code=status_code)


@router.get("/data/identity", response_class=HTMLResponse)
def identity_page(
    request: Request,
    user: ConsoleUser,
    db: DbSession,
    q: str = Query("", max_length=128),
    done: str = Query("", max_length=16),
    n: int = Query(0, ge=0, le=1_000_000),
) -> HTMLResponse:
    principal = principal_from_user(user, db)
    return _page(request, db, principal, q=q, done=done, n=n)


def _reason(form: Any) -> str:
    reason = str(form.get("reason") or "").strip()
    if not reason:
        raise InvalidInput(
            "give a reason (it is audited)",
            field="reason",
            message=N_("Give a reason: merges and splits are audited."),
        )
    return reason[:500]


@router.post("/data/identity/merge", response_class=HTMLResponse, dependencies=[CsrfProtected])
async def merge(request: Request, user: ConsoleUser, db: DbSession) -> Response:
    principal = principal_from_user(user, db)
    form = await request.form()
    keep = str(form.get("customer_id") or "").strip()
    other_id = str(form.get("other") or "").strip()
    try:
        principal.require("write")
        reason = _reason(form)
        if not other_id:
            raise InvalidInput(
                "name the customer to merge into this one",
                field="other",
                message=N_("Name the customer to merge into this one."),
            )
        customer = profile_service.get_visible_customer(db, principal, keep)
        other = profile_service.get_visible_customer(db, principal, other_id)
        engine = published_engine()
        try:
            with db.begin_nested():
                result = profile_service.merge_customers(
                    db,
                    engine,
                    customer_id=customer.customer_id,
                    other_customer_id=other.customer_id,
                    actor=principal.name,
                    reason=reason,
                )
        finally:
            engine.close()
    except DomainError as exc:
        return _page(
            request, db, principal, q=keep, status_code=exc.status,
            error=error_text(request, exc), form=dict(form),
        )  # fmt: skip
    query = urlencode(
        {"q": customer.customer_id, "done": "merged", "n": result["identities_moved"]}
    )
    return RedirectResponse(f"/data/identity?{query}", status_code=303)


@router.post("/data/identity/unmerge", response_class=HTMLResponse, dependencies=[CsrfProtected])
async def unmerge(request: Request, user: ConsoleUser, db: DbSession) -> Response:
    principal = principal_from_user(user, db)
    form = await request.form()
    keep = str(form.get("customer_id") or "").strip()
    keys = [str(k) for k in form.getlist("record")][:200]
    try:
        principal.require("write")
        reason = _reason(form)
        if not keys:
            raise InvalidInput(
                "choose the records to split off",
                field="record_keys",
                message=N_("Choose the records to split off."),
            )
        customer = profile_service.get_visible_customer(db, principal, keep)
        engine = published_engine()
        try:
            with db.begin_nested():
                identity_service.unmerge_records(
                    db,
                    engine,
                    customer_id=customer.customer_id,
                    record_keys=keys,
                    actor=principal.name,
                    reason=reason,
                )
        finally:
            engine.close()
    except DomainError as exc:
        return _page(
            request, db, principal, q=keep, status_code=exc.status,
            error=error_text(request, exc), form=dict(form),
        )  # fmt: skip
    query = urlencode({"q": customer.customer_id, "done": "split", "n": len(keys)})
    return RedirectResponse(f"/data/identity?{query}", status_code=303)
