"""Console: the segment builder (人群圈选) and the tag catalogue (标签目录) pages."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from omniretail.insight.segment import service
from omniretail.insight.segment.rules import OPS, SCORE_LABELS
from omniretail.insight.tag import service as tag_service
from omniretail.insight.tag.catalogue import FAMILY_NAMES
from omniretail.platform import i18n
from omniretail.platform.auth.deps import DbSession, principal_from_user
from omniretail.platform.auth.scope import store_scope
from omniretail.platform.console.locale import request_locale
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


def score_fields(scores: dict[str, str]) -> list[dict[str, Any]]:
    """The model scores of the published snapshot as builder fields (family 模型分)."""
    return [
        {
            "id": f"score.{col}",
            "zh": zh,
            "en": en,
            "type": scores[col],
            "family": "model",
            "values": [],
        }
        for col, (zh, en) in SCORE_LABELS.items()
        if col in scores
    ]


@router.get("/segments", response_class=HTMLResponse)
def builder_page(request: Request, user: ConsoleUser, db: DbSession) -> HTMLResponse:
    tags, missing = _catalogue(request)
    codes = store_scope(principal_from_user(user)).codes()
    try:
        scores: dict[str, str] = run_on_published(service.score_columns)
    except NoPublishedSnapshot:
        scores = {}
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
    ] + score_fields(scores)
    return render(
        request,
        "segment/builder.html",
        {
            "fields": fields,
            "presets": service.presets(scores),
            "segments_json": [
                {"id": s.id, "name": s.name, "rule": s.rule}
                for s in service.list_segments(db, store_codes=codes)
            ],
            "ops": {k: sorted(v) for k, v in OPS.items()},
            "segments": service.list_segments(db, store_codes=codes),
            "example": service.example_rule(),
            "missing": missing,
        },
    )


TYPE_LABELS = {
    "string": ("文本", "text"),
    "integer": ("整数", "whole number"),
    "number": ("数值", "number"),
    "boolean": ("是/否", "yes/no"),
    "date": ("日期", "date"),
}
REFRESH_LABELS = {
    "daily": ("每天", "daily"),
    "incremental": ("增量更新", "incremental"),
    "profile": ("随会员档案", "with the profile"),
}


@router.get("/segments/tags", response_class=HTMLResponse)
def catalogue_page(request: Request, user: ConsoleUser) -> HTMLResponse:
    tags, missing = _catalogue(request)
    # Definitions are written in English next to each tag; the tag domain's catalogs carry
    # them in the reader's language.
    with i18n.use_locale(request_locale(request)):
        tags = [{**t, "definition": i18n.gettext(t["definition"])} for t in tags]
    families = {
        fam: {"zh": zh, "en": en, "tags": [t for t in tags if t["family"] == fam]}
        for fam, (zh, en) in FAMILY_NAMES.items()
    }
    return render(
        request,
        "segment/tags.html",
        {
            "families": families,
            "count": len(tags),
            "missing": missing,
            "type_labels": TYPE_LABELS,
            "refresh_labels": REFRESH_LABELS,
        },
    )
