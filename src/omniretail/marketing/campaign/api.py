"""Campaign routes: create, list, read, change, delete, pause/resume/cancel, risks, launch,
report."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from omniretail.marketing.campaign import report as report_mod
from omniretail.marketing.campaign import service
from omniretail.marketing.campaign.schemas import (
    CampaignCreate,
    CampaignFigures,
    CampaignListItem,
    CampaignRead,
    CampaignReport,
    CampaignRisks,
    CampaignUpdate,
    LaunchSummary,
)
from omniretail.platform.auth.deps import ApiPrincipal, DbSession, Principal
from omniretail.platform.auth.scope import store_scope
from omniretail.platform.engine.snapshot import NOT_COMPUTED_RESPONSES, run_on_published

router = APIRouter(prefix="/campaigns", tags=["campaigns"])


@router.post("", response_model=CampaignRead, status_code=201)
def create(body: CampaignCreate, db: DbSession, principal: ApiPrincipal) -> Any:
    """Create a campaign; a store user's reaches their stores' customers only (the audience's
    ``store_codes`` are set to their stores)."""
    principal.require("write")
    body.audience = service.scoped_audience(body.audience, store_scope(principal))
    return service.create_campaign(db, data=body, actor=principal.name)


def _own(db: DbSession, principal: Principal, code: str) -> None:
    """The caller writes; a store user only to a campaign limited to their stores."""
    principal.require("write")
    service.require_in_scope(service.get_campaign(db, code=code), store_scope(principal))


def _for(principal: Principal, c: Any) -> CampaignRead:
    """The campaign as ``principal`` may see it: the pre-launch check (``risks``) counts the
    chain's audience, so a store-limited caller gets it as null."""
    out = CampaignRead.model_validate(c)
    if not store_scope(principal).all_stores:
        out.risks = None
    return out


@router.get("", response_model=list[CampaignListItem])
def list_all(db: DbSession, principal: ApiPrincipal) -> list[CampaignListItem]:
    """Every campaign with its figures; a store user's figures count their stores' members,
    their messages and coupons only (as the report)."""
    principal.require("read")
    figures = report_mod.list_figures(db, store_scope(principal))
    return [
        CampaignListItem(
            **_for(principal, c).model_dump(),
            figures=CampaignFigures(**figures.get(c.id, {})),
        )
        for c in service.list_campaigns(db)
    ]


@router.get("/{code}", response_model=CampaignRead)
def read(code: str, db: DbSession, principal: ApiPrincipal) -> CampaignRead:
    principal.require("read")
    return _for(principal, service.get_campaign(db, code=code))


@router.patch("/{code}", response_model=CampaignRead)
def change(code: str, body: CampaignUpdate, db: DbSession, principal: ApiPrincipal) -> Any:
    """Change a campaign not yet launched (draft, scheduled or paused); only the fields sent.
    409 when it has been launched."""
    _own(db, principal, code)
    if body.audience is not None:
        body.audience = service.scoped_audience(body.audience, store_scope(principal))
    return service.update_campaign(db, code=code, data=body, actor=principal.name)


@router.delete("/{code}", status_code=204)
def delete(code: str, db: DbSession, principal: ApiPrincipal) -> Response:
    """Delete a campaign that has never been launched. 409 once launched (cancel it)."""
    _own(db, principal, code)
    service.delete_campaign(db, code=code, actor=principal.name)
    return Response(status_code=204)


@router.post("/{code}/pause", response_model=CampaignRead)
def pause(code: str, db: DbSession, principal: ApiPrincipal) -> Any:
    """Stop a scheduled, recurring or journey campaign from starting new runs."""
    _own(db, principal, code)
    return service.pause_campaign(db, code=code, actor=principal.name)


@router.post("/{code}/resume", response_model=CampaignRead)
def resume(code: str, db: DbSession, principal: ApiPrincipal) -> Any:
    _own(db, principal, code)
    return service.resume_campaign(db, code=code, actor=principal.name)


@router.post("/{code}/cancel", response_model=CampaignRead)
def cancel(code: str, db: DbSession, principal: ApiPrincipal) -> Any:
    """End a campaign: no further runs; its queued, unsent messages are withdrawn."""
    _own(db, principal, code)
    return service.cancel_campaign(db, code=code, actor=principal.name)


@router.post("/{code}/risks", response_model=CampaignRisks, responses=NOT_COMPUTED_RESPONSES)
def risks(code: str, db: DbSession, principal: ApiPrincipal) -> CampaignRisks:
    """The pre-launch check (it counts the campaign's whole audience: a store user checks only
    a campaign limited to their stores)."""
    principal.require("read")
    service.require_in_scope(service.get_campaign(db, code=code), store_scope(principal))
    out: dict[str, Any] = run_on_published(lambda eng: service.assess_risks(db, eng, code=code))
    return CampaignRisks.model_validate(out)


@router.post(
    "/{code}/launch",
    response_model=LaunchSummary,
    response_model_exclude_none=True,
    responses=NOT_COMPUTED_RESPONSES,
)
def launch(code: str, db: DbSession, principal: ApiPrincipal) -> LaunchSummary:
    """Launch a campaign; for a journey, start it: run today's step on its trigger (the daily
    job runs the following days)."""
    from omniretail.marketing.campaign.journeys import launch as start

    _own(db, principal, code)
    out: LaunchSummary = run_on_published(
        lambda eng: start(db, eng, code=code, actor=principal.name)
    )
    return out


@router.get(
    "/{code}/report",
    response_model=CampaignReport,
    response_model_exclude_unset=True,
    responses=NOT_COMPUTED_RESPONSES,
)
def report(code: str, db: DbSession, principal: ApiPrincipal) -> CampaignReport:
    """The campaign's reach, offers and effect; a store user sees it for their stores' members
    (``campaign_report``'s ``scope``)."""
    principal.require("read")
    scope = store_scope(principal)
    out: CampaignReport = run_on_published(
        lambda eng: report_mod.campaign_report(db, eng, code=code, scope=scope)
    )
    return out


@router.post(
    "/{code}/run-journey",
    response_model=LaunchSummary,
    response_model_exclude_none=True,
    responses=NOT_COMPUTED_RESPONSES,
)
def run_journey(code: str, db: DbSession, principal: ApiPrincipal) -> LaunchSummary:
    """Run today's step of a journey (idempotent within a day)."""
    from omniretail.marketing.campaign.journeys import run_journey as run

    _own(db, principal, code)
    out: LaunchSummary = run_on_published(lambda eng: run(db, eng, code=code, actor=principal.name))
    return out
