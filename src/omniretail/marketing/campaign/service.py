"""Campaign verbs: create, check risks, launch (snapshot → holdout → offer → outbox), report.

Services flush; the caller commits. Launch is idempotent: members, coupons (by campaign and
customer) and messages (by key) are never created twice, so a retried launch is harmless.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from omniretail.insight.segment import audience as audience_mod
from omniretail.insight.segment.errors import AudienceInvalid
from omniretail.marketing.campaign import planning
from omniretail.marketing.campaign.errors import (
    CampaignInvalid,
    CampaignNotFound,
    CampaignStateError,
)
from omniretail.marketing.campaign.models import (
    EDITABLE,
    Campaign,
)
from omniretail.marketing.campaign.schemas import CampaignCreate, CampaignUpdate, Schedule
from omniretail.marketing.coupon import service as coupon_service
from omniretail.platform import audit
from omniretail.platform.auth.scope import OutOfScope, StoreScope
from omniretail.platform.db import utcnow
from omniretail.platform.engine.base import AnalyticsEngine
from omniretail.platform.errors import NotFound
from omniretail.platform.i18n import N_, _
from omniretail.platform.messaging import service as messaging
from omniretail.platform.messaging.adapters import unconfigured_channels
from omniretail.platform.messaging.config import get_messaging_settings

CONTROL_FLAG = N_("Whether to include the global control group must be yes or no")


def audience_rule(session: Session, audience: dict[str, Any]) -> dict[str, Any] | None:
    """The audience's segment rule (insight resolves audiences); a bad one names the field.
    ``include_global_control`` must be a boolean (a string "false" would otherwise count as
    yes and reach the group meant to measure every campaign)."""
    flag = audience.get("include_global_control")
    if flag is not None and not isinstance(flag, bool):
        raise CampaignInvalid(
            f"audience.include_global_control must be true or false, got {flag!r}",
            field="audience.include_global_control",
            message=CONTROL_FLAG,
        )
    try:
        return audience_mod.audience_rule(session, audience)
    except AudienceInvalid as exc:
        raise CampaignInvalid(
            exc.detail, field="audience", message=exc.message, params=exc.params
        ) from exc


def member_profiles(
    engine: AnalyticsEngine,
    session: Session,
    audience: dict[str, Any],
    stratify_by: str | None,
    *,
    extra_rule: dict[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """Each audience member's profile for planning (insight's audience resolution); a model
    audience (``likely_fans_of``) is first turned into customer ids by the recommenders."""
    if "likely_fans_of" in audience and "customer_ids" not in audience:
        from omniretail.insight.recommend import service as recs

        found = recs.likely_customers(
            sku=str(audience["likely_fans_of"]), n=int(audience.get("n", 1000))
        )
        audience = {
            "customer_ids": [str(c["customer_id"]) for c in found.get("customers", [])],
            **({"store_codes": audience["store_codes"]} if "store_codes" in audience else {}),
        }
    try:
        return audience_mod.member_profiles(
            engine, session, audience, stratify_by, extra_rule=extra_rule
        )
    except AudienceInvalid as exc:
        raise CampaignInvalid(
            exc.detail, field="audience", message=exc.message, params=exc.params
        ) from exc


def _check_templates(session: Session, codes: list[str | None]) -> None:
    for code in codes:
        if code:
            try:
                coupon_service.get_template(session, code=code)
            except NotFound as exc:
                raise CampaignInvalid(
                    f"no coupon template {code!r}", field="offer_template"
                ) from exc


def _check_kind(
    kind: str, trigger: str | None, schedule: dict[str, Any] | None, now: datetime | None = None
) -> None:
    """What each kind needs: a journey a trigger (and no schedule), a recurring campaign a
    schedule with every_days or day_of_month (and an end, if any, still ahead of ``now``), a
    one-off campaign no repetition."""
    if kind == "journey":
        if not trigger:
            raise CampaignInvalid("a journey needs a trigger", field="trigger")
        if schedule:
            raise CampaignInvalid(
                "a journey runs every day on its trigger and takes no schedule", field="schedule"
            )
    elif kind == "recurring":
        if not schedule:
            raise CampaignInvalid(
                "a recurring campaign needs a schedule with at and every_days", field="schedule"
            )
        if not schedule.get("every_days") and not schedule.get("day_of_month"):
            raise CampaignInvalid(
                "a recurring campaign needs schedule.every_days (every N days) or "
                "schedule.day_of_month (monthly)",
                field="schedule.every_days",
            )
        until = schedule.get("until")
        if until and datetime.fromisoformat(str(until)) < (now or utcnow()):
            raise CampaignInvalid(
                f"schedule.until ({until}) has already passed: the campaign would never run",
                field="schedule.until",
            )
    elif schedule and (
        schedule.get("every_days") or schedule.get("day_of_month") or schedule.get("until")
    ):
        repeat = next(k for k in ("every_days", "day_of_month", "until") if schedule.get(k))
        raise CampaignInvalid(
            "a one-off campaign runs once: every_days, day_of_month and until need kind recurring",
            field=f"schedule.{repeat}",
        )


def _schedule_json(schedule: Schedule | None) -> dict[str, Any] | None:
    return schedule.model_dump(mode="json", exclude_none=True) if schedule else None


def _resting_status(c: Campaign) -> str:
    """The status of a campaign that is not running: scheduled when it has a schedule."""
    return "scheduled" if c.kind != "journey" and c.schedule else "draft"


def scoped_audience(audience: dict[str, Any], scope: StoreScope) -> dict[str, Any]:
    """The audience a caller of ``scope`` may target: a store-limited caller's campaign reaches
    their stores' customers only (``store_codes``, applied at every launch and run); a
    chain-wide caller's is left as given."""
    if scope.all_stores:
        return audience
    return {**audience, "store_codes": scope.codes()}


def require_in_scope(c: Campaign, scope: StoreScope) -> None:
    """A store-limited caller may change, check, launch or stop only a campaign limited to
    their own stores (403 otherwise: it reaches other stores' customers)."""
    if scope.all_stores:
        return
    stores = (c.audience or {}).get("store_codes")
    if stores is None or not all(scope.allows(code) for code in stores):
        raise OutOfScope(
            f"campaign {c.code!r} reaches customers of stores outside yours; only a chain-wide "
            "user may change, launch or stop it",
            field="code",
            message=OUT_OF_SCOPE,
            params={"code": c.code},
        )


OUT_OF_SCOPE = N_(
    "Campaign %(code)s reaches customers of stores outside yours: only a head-office user may "
    "change, launch or stop it."
)


def create_campaign(
    session: Session, *, data: CampaignCreate, actor: str = "system", now: datetime | None = None
) -> Campaign:
    if session.scalar(select(Campaign.id).where(Campaign.code == data.code)):
        raise CampaignInvalid(f"a campaign with code {data.code!r} already exists", field="code")
    audience_rule(session, data.audience)  # validates the audience's form
    _check_templates(session, [data.offer_template, *(v.offer_template for v in data.variants)])
    schedule = _schedule_json(data.schedule)
    _check_kind(data.kind, data.trigger, schedule, now)
    c = Campaign(
        **data.model_dump(exclude={"variants", "schedule"}),
        variants=[v.model_dump() for v in data.variants],
        schedule=schedule,
        created_by=actor,
    )
    c.status = _resting_status(c)
    session.add(c)
    session.flush()
    audit.record(
        session, actor=actor, action="campaign.create", object_type="campaign", object_id=c.code
    )
    return c


REQUIRED = frozenset(
    {"name", "goal", "kind", "audience", "content", "channels", "variants"}
    | {"holdout_share", "priority", "window_days"}
)


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def update_campaign(
    session: Session,
    *,
    code: str,
    data: CampaignUpdate,
    actor: str = "system",
    now: datetime | None = None,
) -> Campaign:
    """Change a campaign that has not been launched yet (draft, scheduled or paused).

    Only the fields sent change; the result is checked as a whole (kind, trigger and
    schedule together; audience and coupon templates exist). A launched campaign's members,
    coupons and messages already follow its settings, so it can no longer be changed."""
    c = get_campaign(session, code=code)
    if c.status not in EDITABLE or c.launched_at is not None:
        launched = f", launched {c.launched_at:%Y-%m-%d %H:%M}" if c.launched_at else ""
        raise CampaignStateError(
            f"campaign {code!r} is {c.status}{launched}: only a draft, scheduled or paused "
            "campaign that has not been launched can be changed",
            field="status",
            state=c.status,
            message=N_(
                "Campaign %(code)s has already been launched or ended: only a campaign that "
                "has not been launched can be changed"
            ),
            params={"code": code},
        )
    changes: dict[str, Any] = {}
    for name in data.model_fields_set:
        value = getattr(data, name)
        if value is None and name in REQUIRED:
            raise CampaignInvalid(f"{name} cannot be null", field=name)
        if name == "schedule":
            value = _schedule_json(value)
        elif name == "variants":
            value = [v.model_dump() for v in value]
        changes[name] = value
    if not changes:
        return c
    if "audience" in changes:
        audience_rule(session, changes["audience"])
    variants = changes.get("variants", c.variants or [])
    offer = changes.get("offer_template", c.offer_template)
    if "offer_template" in changes or "variants" in changes:
        _check_templates(session, [offer, *(v.get("offer_template") for v in variants)])
    kind = changes.get("kind", c.kind)
    _check_kind(kind, changes.get("trigger", c.trigger), changes.get("schedule", c.schedule), now)
    before = {k: _jsonable(getattr(c, k)) for k in changes}
    for name, value in changes.items():
        setattr(c, name, value)
    c.risks = None  # the last risk check no longer describes this campaign
    if c.status != "paused":
        c.status = _resting_status(c)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="campaign.update",
        object_type="campaign",
        object_id=c.code,
        detail={"before": before, "after": {k: _jsonable(v) for k, v in changes.items()}},
    )
    return c


def pause_campaign(session: Session, *, code: str, actor: str = "system") -> Campaign:
    """Stop a scheduled, recurring or journey campaign from starting new runs (resumable).
    Messages already queued still go out; cancel withdraws them."""
    c = get_campaign(session, code=code)
    live = c.status in ("scheduled", "running") or (c.status == "draft" and c.kind == "journey")
    if not live or (c.kind == "once" and c.launched_at is not None):
        why = (
            "its only run has already been launched"
            if c.kind == "once" and c.launched_at is not None
            else "only a scheduled or running campaign, or a journey, can be paused"
        )
        raise CampaignStateError(
            f"campaign {code!r} is {c.status}: {why}",
            field="status",
            state=c.status,
            message=N_(
                "Campaign %(code)s cannot be paused: only a scheduled or running campaign, or "
                "a journey, can be paused (a one-off campaign already sent can be cancelled)"
            ),
            params={"code": code},
        )
    c.status = "paused"
    session.flush()
    audit.record(
        session, actor=actor, action="campaign.pause", object_type="campaign", object_id=c.code
    )
    return c


def resume_campaign(session: Session, *, code: str, actor: str = "system") -> Campaign:
    """Undo a pause: the next due run starts at the scheduler's next call."""
    c = get_campaign(session, code=code)
    if c.status != "paused":
        raise CampaignStateError(
            f"campaign {code!r} is {c.status}: only a paused campaign can be resumed",
            field="status",
            state=c.status,
            message=N_("Campaign %(code)s is not paused: only a paused campaign can be resumed"),
            params={"code": code},
        )
    c.status = "running" if c.launched_at is not None else _resting_status(c)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="campaign.resume",
        object_type="campaign",
        object_id=c.code,
        detail={"status": c.status},
    )
    return c


def cancel_campaign(session: Session, *, code: str, actor: str = "system") -> Campaign:
    """End a campaign for good: no further runs, and its queued, unsent messages are
    withdrawn (marked suppressed). Coupons already issued stay valid."""
    c = get_campaign(session, code=code)
    if c.status in ("completed", "cancelled"):
        raise CampaignStateError(
            f"campaign {code!r} is already {c.status}",
            field="status",
            state=c.status,
            message=N_("Campaign %(code)s has already ended (completed or cancelled)"),
            params={"code": code},
        )
    withdrawn = messaging.withdraw(session, campaign_id=c.id, reason=f"campaign {c.code} cancelled")
    before = c.status
    c.status = "cancelled"
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="campaign.cancel",
        object_type="campaign",
        object_id=c.code,
        detail={"was": before, "messages_withdrawn": withdrawn},
    )
    return c


def delete_campaign(session: Session, *, code: str, actor: str = "system") -> None:
    """Delete a campaign that was never launched (a draft, or a scheduled or paused one whose
    first run has not started): it has no members, coupons or messages yet. A launched
    campaign keeps its history; cancel it instead."""
    c = get_campaign(session, code=code)
    if c.launched_at is not None or c.status not in EDITABLE:
        raise CampaignStateError(
            f"campaign {code!r} is {c.status}"
            + (f", launched {c.launched_at:%Y-%m-%d %H:%M}" if c.launched_at else "")
            + ": only a campaign that has never been launched can be deleted; cancel it instead",
            field="status",
            state=c.status,
            message=N_(
                "Campaign %(code)s has been launched or has ended: its history is kept, so it "
                "cannot be deleted (cancel it instead)"
            ),
            params={"code": code},
        )
    detail = {"name": c.name, "status": c.status, "audience": c.audience}
    session.delete(c)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="campaign.delete",
        object_type="campaign",
        object_id=code,
        detail=detail,
    )


def get_campaign(session: Session, *, code: str) -> Campaign:
    c = session.scalar(select(Campaign).where(Campaign.code == code))
    if c is None:
        raise CampaignNotFound(
            f"no campaign {code!r}",
            field="code",
            message=N_("No campaign with code %(code)s"),
            params={"code": code},
        )
    return c


def list_campaigns(session: Session) -> list[Campaign]:
    return list(session.scalars(select(Campaign).order_by(Campaign.id.desc())))


def _offer_value(session: Session, c: Campaign) -> Decimal:
    if not c.offer_template:
        return Decimal("0")
    return Decimal(coupon_service.get_template(session, code=c.offer_template).face_value or 0)


Choice = tuple[str | None, str]  # (channel or None, why)

# The pre-launch check's notes (catalog ids; the console shows them in the reader's language).
EMPTY_AUDIENCE = N_("the audience is empty")
SMALL_AUDIENCE = N_("audience of %(n)s is small: the holdout comparison will be imprecise")
LOW_CONSENT = N_("only %(share)s of the audience consented to the chosen channels")
UNCONFIGURED = N_(
    "Channel %(channel)s is not configured (%(missing)s): "
    "the %(n)s members it would reach get no message"
)
OVER_BUDGET = N_("coupon liability %(liability)s exceeds the budget %(budget)s")
OVERLAP = N_("%(n)s members are also in the running campaign %(name)s (%(campaign)s)")
SAME_COUPON = N_(
    "%(n)s members already got coupon %(template)s from %(name)s (%(campaign)s), limited to "
    "%(limit)s per person: they will not get it again"
)
HOLDOUTS_PROTECTED = N_(
    "%(n)s members in the holdout of running campaigns are left out, so those comparisons "
    "stay clean"
)
EXCLUDED_MEMBERS = N_("%(n)s members of the excluded campaigns are left out")
GLOBAL_CONTROL = N_(
    "%(n)s members are in the global control group and left out (it measures what all "
    "marketing adds)"
)
RISK_MESSAGES = (
    EMPTY_AUDIENCE,
    SMALL_AUDIENCE,
    LOW_CONSENT,
    UNCONFIGURED,
    OVER_BUDGET,
    OVERLAP,
    SAME_COUPON,
    HOLDOUTS_PROTECTED,
    EXCLUDED_MEMBERS,
    GLOBAL_CONTROL,
)


def narrow_audience(
    session: Session, c: Campaign, profiles: list[dict[str, Any]]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], dict[str, int]]:
    """Leave out the global control group (unless the audience includes it) and the members
    other live campaigns keep (their holdouts, by default; every member of an excluded
    campaign): (profiles kept, overlaps, counts left out)."""
    from omniretail.marketing.campaign import global_control, overlap

    control: set[str] = set()
    if not (c.audience or {}).get("include_global_control"):
        control = global_control.members_among(session, (str(p["customer_id"]) for p in profiles))
        if control:
            profiles = [p for p in profiles if str(p["customer_id"]) not in control]
    found = overlap.overlaps(session, c, (str(p["customer_id"]) for p in profiles))
    counts: dict[str, int] = {"global_control": len(control)} if control else {}
    if not found:
        return profiles, [], counts
    drop, by_reason = overlap.left_out(c, found)
    kept = [p for p in profiles if str(p["customer_id"]) not in drop] if drop else profiles
    return kept, overlap.summary(session, c, found, drop), {**counts, **by_reason}


def record_risks(
    session: Session,
    c: Campaign,
    profiles: list[dict[str, Any]],
    choices: list[Choice],
    *,
    overlaps: list[dict[str, Any]] | None = None,
    left_out: dict[str, int] | None = None,
) -> dict[str, Any]:
    n = len(profiles)
    reachable = sum(1 for ch, _ in choices if ch is not None)
    treated = n - round(n * c.holdout_share)
    liability = _offer_value(session, c) * treated
    problems: list[str] = []
    warnings: list[str] = []
    notes: list[dict[str, Any]] = []

    def note(level: str, message: str, **params: Any) -> None:
        (problems if level == "problem" else warnings).append(message % params)
        notes.append({"level": level, "message": message, "params": params})

    if n == 0:
        note("problem", EMPTY_AUDIENCE)
    elif n < 200:
        note("warning", SMALL_AUDIENCE, n=n)
    coverage = reachable / n if n else 0.0
    if n and coverage < 0.5:
        note("warning", LOW_CONSENT, share=f"{coverage:.0%}")
    chosen: dict[str, int] = defaultdict(int)
    for ch, _why in choices:
        if ch is not None:
            chosen[ch] += 1
    unconfigured = unconfigured_channels(list(c.channels), get_messaging_settings())
    blocked = {ch: missing for ch, missing in unconfigured.items() if chosen.get(ch)}
    for ch, missing in blocked.items():
        params = {"channel": ch, "missing": ", ".join(missing), "n": chosen[ch]}
        warnings.append(_(UNCONFIGURED) % params)
        notes.append({"level": "warning", "message": UNCONFIGURED, "params": params})
    for o in overlaps or []:
        if o["excluded"] or not o["members"]:
            continue
        who = {"n": o["members"], "name": o["name"], "campaign": o["campaign"]}
        if o["same_coupon"]:
            note("warning", SAME_COUPON, template=c.offer_template, limit=o["coupon_limit"], **who)
        else:
            note("warning", OVERLAP, **who)
    gone = left_out or {}
    if gone.get("protected_holdout"):
        note("warning", HOLDOUTS_PROTECTED, n=gone["protected_holdout"])
    if gone.get("excluded"):
        note("warning", EXCLUDED_MEMBERS, n=gone["excluded"])
    if gone.get("global_control"):
        note("warning", GLOBAL_CONTROL, n=gone["global_control"])
    if c.budget is not None and liability > c.budget:
        note("problem", OVER_BUDGET, liability=str(liability), budget=str(c.budget))
    risks = {
        "audience": n,
        "treatment": treated,
        "holdout": n - treated,
        "reachable": reachable,
        "consent_coverage": round(coverage, 4),
        "coupon_liability": str(liability),
        "budget": str(c.budget) if c.budget is not None else None,
        "unconfigured_channels": {
            ch: {"members": chosen[ch], "missing": missing} for ch, missing in blocked.items()
        },
        "problems": problems,
        "warnings": warnings,
        "notes": notes,
        "overlaps": overlaps or [],
        "left_out": left_out or {},
        "ok": not problems,
    }
    c.risks = risks
    session.flush()
    return risks


def assess_risks(session: Session, engine: AnalyticsEngine, *, code: str) -> dict[str, Any]:
    """Checks before launch: audience size, consent coverage, coupon liability against budget."""
    c = get_campaign(session, code=code)
    profiles = member_profiles(engine, session, c.audience, c.stratify_by)
    profiles, overlaps, left_out = narrow_audience(session, c, profiles)
    channels = list(c.channels)
    return record_risks(
        session,
        c,
        profiles,
        [planning.choose_channel(p, channels) for p in profiles],
        overlaps=overlaps,
        left_out=left_out,
    )
