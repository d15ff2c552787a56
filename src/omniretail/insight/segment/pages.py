"""Console: the segment builder (人群圈选) and the tag catalogue (标签目录) pages."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from omniretail.insight.segment import service
from omniretail.insight.segment.rules import OPS
from omniretail.insight.tag import service as tag_service
from omniretail.insight.tag.catalogue import FAMILY_NAMES
from omniretail.platform.auth.deps import DbSession, principal_from_user
from omniretail.platform.auth.scope import store_scope
from omniretail.platform.console.render import error_text, render
from omniretail.platform.console.session import ConsoleUser
from omniretail.platform.engine.base import AnalyticsEngine
from omniretail.platform.engine.snapshot import (
    NoPublishedSnapshot,
    require_tables,
    run_on_published,
)

router = APIRouter(tags=["console"])


def _with_tags(engine: AnalyticsEngine) -> list[dict[str, Any]]:
    require_tables(engine, "customer_tags", "tag_coverage", "ins_as_of")
    return tag_service.catalogue(engine)


def _catalogue(request: Request) -> tuple[list[dict[str, Any]], str | None]:
    """The catalogue with coverage, or without it and the reason (no snapshot, or a snapshot
    published before the tag steps ran)."""
    try:
        rows: list[dict[str, Any]] = run_on_published(_with_tags)
        return rows, None
    except NoPublishedSnapshot as exc:
        return tag_service.catalogue(None), error_text(request, exc)


@router.get("/segments", response_class=HTMLResponse)
def builder_page(request: Request, user: ConsoleUser, db: DbSession) -> HTMLResponse:
    tags, missing = _catalogue(request)
    codes = store_scope(principal_from_user(user)).codes()
    fields = [
        {
            "id": t["id"],
            "zh": t["zh"],
            "en": t["en"],
            "type": t["type"],
            "family": t["family"],
            "values": t["values"],
        }
        for t in tags
    ]
    return render(
        request,
        "segment/builder.html",
        {
            "fields": fields,
            "ops": {k: sorted(v) for k, v in OPS.items()},
            "segments": service.list_segments(db, store_codes=codes),
            "example": service.example_rule(),
            "missing": missing,
        },
    )


@router.get("/segments/tags", response_class=HTMLResponse)
def catalogue_page(request: Request, user: ConsoleUser) -> HTMLResponse:
    tags, missing = _catalogue(request)
    families = {
        fam: {"zh": zh, "en": en, "tags": [t for t in tags if t["family"] == fam]}
        for fam, (zh, en) in FAMILY_NAMES.items()
    }
    return render(
        request,
        "segment/tags.html",
        {"families": families, "count": len(tags), "missing": missing},
    )
