"""``/api/v1/replenishment``: store order suggestions from the forecasts, and their approval.

A caller bound to stores sees and decides only their stores' suggestions."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter

from omniretail.insight.forecast import service
from omniretail.insight.forecast.schemas import Decision, SuggestionRead, SuggestRequest
from omniretail.platform.auth.deps import ApiPrincipal, DbSession
from omniretail.platform.auth.scope import store_scope
from omniretail.platform.bounds import DbId
from omniretail.platform.engine.snapshot import NOT_COMPUTED_RESPONSES

router = APIRouter(prefix="/replenishment", tags=["replenishment"])


@router.post("/suggestions", response_model=list[SuggestionRead], responses=NOT_COMPUTED_RESPONSES)
def make_suggestions(
    body: SuggestRequest, db: DbSession, principal: ApiPrincipal
) -> list[SuggestionRead]:
    principal.require("write")
    store_scope(principal).require(body.store_code)
    return service.suggest(db, data=body)


@router.get("/suggestions", response_model=list[SuggestionRead])
def suggestions(
    store_code: str,
    db: DbSession,
    principal: ApiPrincipal,
    status: str | None = None,
    review_date: date | None = None,
) -> list[SuggestionRead]:
    principal.require("read")
    store_scope(principal).require(store_code)
    return service.list_suggestions(
        db, store_code=store_code, status=status, review_date=review_date
    )


@router.post("/suggestions/{suggestion_id}/decision", response_model=SuggestionRead)
def decide(
    suggestion_id: DbId, body: Decision, db: DbSession, principal: ApiPrincipal
) -> SuggestionRead:
    principal.require("write")
    current = service.get_suggestion(db, suggestion_id=suggestion_id)
    store_scope(principal).require(current.store_code)
    return service.decide(db, suggestion_id=suggestion_id, decision=body, user=principal.name)
