"""Console: 社群. Group health (members, active, messages, new per day, silent share, 7/30-day
retention, quiet groups first), live codes with their groups' fill and the ask for a next
group, referral campaigns with invitations, conversion and K-factor; a campaign's page shows
its invite tree with each invite's status and, when refused, the abuse rule. A store user
sees their stores' groups and codes only."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from omniretail.operations.community import livecode, referral, service
from omniretail.operations.community.schemas import (
    INVITE_STATUS_ZH,
    KIND_ZH,
    REASON_ZH,
    WECOM_CAP,
)
from omniretail.platform.auth.deps import DbSession, principal_from_user
from omniretail.platform.auth.scope import store_scope
from omniretail.platform.console.locale import request_locale
from omniretail.platform.console.render import render
from omniretail.platform.console.session import ConsoleUser

router = APIRouter(tags=["console"])
BASE = "/operations/community"
KIND_EN = {"marketing": "Marketing", "content": "Content", "service": "Service"}
REASON_EN = {
    "self_invite": "Self-invite",
    "same_phone": "Same phone",
    "same_device": "Same device",
    "left_24h": "Left within 24 h",
}


def _pct(x: float | None) -> str:
    return "—" if x is None else f"{x * 100:.1f}%"


def _ctx(request: Request, **kw: Any) -> dict[str, Any]:
    zh = request_locale(request).startswith("zh")
    return {
        "base": BASE,
        "pct": _pct,
        "cap": WECOM_CAP,
        "kind_label": (lambda s: KIND_ZH.get(s, s)) if zh else (lambda s: KIND_EN.get(s, s)),
        "reason_label": (lambda s: REASON_ZH.get(s, s)) if zh else (lambda s: REASON_EN.get(s, s)),
        "invite_label": (lambda s: INVITE_STATUS_ZH.get(s, s)) if zh else (lambda s: s),
        **kw,
    }


@router.get(BASE, response_class=HTMLResponse)
def overview(request: Request, user: ConsoleUser, db: DbSession) -> Response:
    codes = store_scope(principal_from_user(user, db)).codes()
    return render(
        request,
        "community/overview.html",
        _ctx(
            request,
            health=service.health(db, store_codes=codes),
            live_codes=livecode.list_codes(db, store_codes=codes),
            campaigns=referral.list_campaigns(db),
        ),
    )


@router.get(BASE + "/campaigns/{code}", response_class=HTMLResponse)
def campaign(request: Request, user: ConsoleUser, db: DbSession, code: str) -> Response:
    """A referral campaign: its invite tree and K-factor."""
    got = referral.campaign_read(db, campaign=code)
    return render(request, "community/campaign.html", _ctx(request, c=got.stats, tree=got.tree))
