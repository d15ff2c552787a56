"""Console pages: the campaign list (营销活动), the creation wizard and the campaign report."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from omniretail.insight.segment import service as segment_service
from omniretail.insight.segment.rules import OPS
from omniretail.insight.tag import service as tag_service
from omniretail.marketing.campaign import global_control, service
from omniretail.marketing.campaign import report as report_mod
from omniretail.marketing.campaign.control_pages import router as control_router
from omniretail.marketing.campaign.models import (
    EDITABLE,
    GOALS,
    TRIGGERS,
    Campaign,
)
from omniretail.marketing.campaign.planning import MESSAGE_CHANNELS
from omniretail.marketing.campaign.schedule import next_run
from omniretail.marketing.campaign.schemas import (
    SCHEDULE_TZ,
    CampaignRead,
    CampaignReport,
    CampaignUpdate,
)
from omniretail.marketing.coupon import service as coupon_service
from omniretail.omnichannel.store import service as store_service
from omniretail.platform import export, i18n
from omniretail.platform.auth.deps import DbSession, principal_from_user
from omniretail.platform.auth.models import User
from omniretail.platform.auth.scope import StoreScope, store_scope
from omniretail.platform.console.csrf import CsrfProtected
from omniretail.platform.console.locale import request_locale
from omniretail.platform.console.render import error_text, render
from omniretail.platform.console.session import ConsoleUser
from omniretail.platform.db import utcnow
from omniretail.platform.engine.snapshot import NoPublishedSnapshot, run_on_published
from omniretail.platform.errors import DomainError
from omniretail.platform.i18n import N_, _
from omniretail.platform.messaging import service as messaging
from omniretail.platform.messaging.policy import PressurePolicy

router = APIRouter(tags=["console"])
router.routes.extend(control_router.routes)  # 全局对照组 (its own module, same console router)

GOAL_LABELS = {
    "acquisition": N_("Acquisition"),
    "activation": N_("Activation"),
    "repurchase": N_("Repurchase"),
    "reactivation": N_("Win back"),
    "new_product": N_("New product"),
    "loyalty": N_("Loyalty"),
    "care": N_("Customer care"),
}
TRIGGER_LABELS = {
    "welcome": N_("Welcome new member"),
    "birthday": N_("Birthday"),
    "post_purchase": N_("After a purchase"),
    "repurchase_due": N_("Repurchase due"),
    "coupon_expiring": N_("Coupon expiring"),
    "dormant_reactivation": N_("Member going dormant"),
    "new_product_launch": N_("New product launch"),
}
CHANNEL_LABELS = {
    "wechat": N_("WeChat subscription message"),
    "wecom": N_("WeCom (enterprise WeChat)"),
    "app_push": N_("App push"),
    "sms": N_("SMS"),
    "email": N_("Email"),
    "webhook": N_("Webhook"),
    "file": N_("File export"),
}
STATUS_LABELS = {
    "draft": N_("Draft"),
    "scheduled": N_("Scheduled"),
    "running": N_("Running"),
    "paused": N_("Paused"),
    "completed": N_("Completed"),
    "cancelled": N_("Cancelled"),
}
FAILURE_LABELS = {
    "not_configured": N_("Channel not configured"),
    "no_address": N_("No address on this channel"),
    "refused": N_("Refused by the provider or recipient"),
    "unreachable": N_("Provider unreachable"),
    "other": N_("Other error"),
}
REPORT_TABLES = (("by_variant", N_("Variant")), ("by_channel", N_("Channel")))
REPORT_TABLES_ALL = (*REPORT_TABLES, ("by_store_code", N_("Store")))


def _labels(mapping: dict[str, str]) -> dict[str, str]:
    return {k: _(v) for k, v in mapping.items()}


def _audience_label(audience: dict[str, Any], segments: dict[int, str]) -> str:
    if "segment_id" in audience:
        sid = int(audience["segment_id"])
        return segments.get(sid, f"#{sid}")
    if "rule" in audience:
        return _("Custom rule")
    if "likely_fans_of" in audience:
        return _("Likely fans of %(sku)s") % {"sku": audience["likely_fans_of"]}
    return "—"


def monthly_label(day: int) -> str:
    """ "Monthly on day D", with the rule for shorter months when D is past the 28th."""
    text = _("Monthly on day %(day)s") % {"day": day}
    if day > 28:
        text += _(" (the last day in months without it)")
    return text


def schedule_label(c: Campaign) -> str:
    """The schedule in words: once at launch, once at a time, or every N days at a time of day
    from a date (until a date), in the schedule's local time zone."""
    sched = c.schedule or {}
    if not sched.get("at"):
        return _("Once, at launch")
    at = _local(str(sched["at"]))
    if c.kind != "recurring":
        return _("Once, at %(time)s") % {"time": f"{at:%Y-%m-%d %H:%M}"}
    n = int(sched.get("every_days") or 1)
    every = (
        monthly_label(int(sched["day_of_month"]))
        if sched.get("day_of_month")
        else _("Every day")
        if n == 1
        else _("Every week")
        if n == 7
        else _("Every %(n)s days") % {"n": n}
    )
    values = {"every": every, "time": f"{at:%H:%M}", "start": f"{at:%Y-%m-%d}"}
    if sched.get("until"):
        values["end"] = f"{_local(str(sched['until'])):%Y-%m-%d}"
        text = _("%(every)s at %(time)s, from %(start)s, until %(end)s") % values
    else:
        text = _("%(every)s at %(time)s, from %(start)s, no end date") % values
    if sched.get("reentry_days"):
        text = _("%(schedule)s; members reached in the last %(n)s days are skipped") % {
            "schedule": text,
            "n": sched["reentry_days"],
        }
    return f"{text} ({SCHEDULE_TZ})"


def _local(value: str) -> datetime:
    t = datetime.fromisoformat(value)
    return (t if t.tzinfo else t.replace(tzinfo=SCHEDULE_TZ)).astimezone(SCHEDULE_TZ)


@router.get("/campaigns", response_class=HTMLResponse)
def list_page(request: Request, user: ConsoleUser, db: DbSession) -> HTMLResponse:
    campaigns = service.list_campaigns(db)
    segments = {s.id: s.name for s in segment_service.list_segments(db)}
    # the report's rule: a store user's figures are their stores' members' (not the chain's)
    numbers = report_mod.list_figures(db, store_scope(principal_from_user(user, db)))
    rows = [
        {
            "code": c.code,
            "name": c.name,
            "status": c.status,
            "goal": c.goal,
            "kind": c.kind,
            "audience": _audience_label(c.audience, segments),
            "launched_at": c.launched_at,
            "treatment": numbers.get(c.id, {}).get("treatment", 0),
            "holdout": numbers.get(c.id, {}).get("holdout", 0),
            "sent": numbers.get(c.id, {}).get("sent", 0),
            "failed": numbers.get(c.id, {}).get("failed", 0),
            "coupons": numbers.get(c.id, {}).get("coupons", 0),
        }
        for c in campaigns
    ]
    return render(
        request,
        "campaign/list.html",
        {
            "rows": rows,
            "goal_labels": _labels(GOAL_LABELS),
            "status_labels": _labels(STATUS_LABELS),
        },
    )


def field_messages() -> list[dict[str, str]]:
    """What the wizard shows, in the console's language, next to a field the server names in
    a problem detail (``errors[].field``): the first entry whose field matches (``audience``
    also covers ``audience.rule`` …) and whose pattern is found in the server's English
    message (an empty pattern always is). The API itself answers in English for machines."""
    rows = [
        ("schedule.until", "passed", _("The last run date has already passed: no run is left")),
        ("schedule.until", "", _("The last run date is before the first run date")),
        ("schedule.at", "", _("Choose a valid date and time for the first run")),
        ("schedule.every_days", "need kind recurring", _("Only a recurring campaign repeats")),
        ("schedule.every_days", "day_of_month", _("Choose how often the campaign repeats")),
        (
            "schedule.every_days",
            "",
            _("The interval must be a whole number of days between 1 and 366"),
        ),
        ("schedule.day_of_month", "need kind recurring", _("Only a recurring campaign repeats")),
        ("schedule.day_of_month", "one repetition", _("Choose one repetition: days or monthly")),
        (
            "schedule.day_of_month",
            "",
            _("The day of the month must be a whole number from 1 to 31"),
        ),
        (
            "schedule.reentry_days",
            "",
            _("Days without re-entry must be a whole number between 1 and 3650"),
        ),
        ("schedule", "", _("Check the schedule")),
        ("code", "already exists", _("Another campaign already uses this code")),
        ("code", "", _("The code may only hold letters, digits, - and _ (at most 64)")),
        ("name", "", _("Give the campaign a name")),
        ("goal", "", _("Choose a goal")),
        ("audience", "", _("Check the audience: choose a segment or valid conditions")),
        ("offer_template", "", _("This coupon template does not exist or cannot be used")),
        ("content", "", _("Check the message content")),
        ("channels", "", _("Choose at least one channel")),
        ("trigger", "", _("Choose a journey trigger")),
        ("window_days", "", _("The attribution window must be between 1 and 180 days")),
        ("budget", "", _("The budget must be an amount of 0 or more")),
        ("holdout_share", "", _("The holdout share must be between 0 and 89%")),
        ("priority", "", _("The priority must be a whole number between 0 and 100")),
    ]
    return [{"field": f, "pattern": pattern, "message": m} for f, pattern, m in rows]


@router.get("/campaigns/new", response_class=HTMLResponse)
def new_page(request: Request, user: ConsoleUser, db: DbSession) -> HTMLResponse:
    return wizard_page(request, user, db)


def wizard_page(
    request: Request, user: ConsoleUser, db: DbSession, editing: dict[str, Any] | None = None
) -> HTMLResponse:
    scope = store_scope(principal_from_user(user))
    codes = scope.codes()
    segments = [
        {"id": s.id, "name": s.name, "last_count": s.last_count, "rule": s.rule}
        for s in segment_service.list_segments(db, store_codes=codes)
    ]
    templates = [
        {"code": t.code, "name": t.name, "name_en": t.name_en, "kind": t.kind}
        for t in coupon_service.list_templates(db, status="active")
    ]
    fields = [
        {"id": t["id"], "zh": t["zh"], "en": t["en"], "type": t["type"], "values": t["values"]}
        for t in tag_service.catalogue(None)
    ]
    return render(
        request,
        "campaign/wizard.html",
        {
            "goals": _labels(GOAL_LABELS),
            "triggers": _labels(TRIGGER_LABELS),
            "channels": {c: _(CHANNEL_LABELS[c]) for c in MESSAGE_CHANNELS},
            "channel_ids": list(MESSAGE_CHANNELS),  # the fallback order (tojson sorts dict keys)
            "segments": segments,
            "coupon_templates": templates,
            "template_names": {
                t["code"]: t["name"]
                if request_locale(request) == "zh_CN" or not t["name_en"]
                else t["name_en"]
                for t in templates
            },
            "fields": fields,
            "ops": {k: sorted(v) for k, v in OPS.items()},
            "goal_ids": list(GOALS),
            "trigger_ids": list(TRIGGERS),
            "schedule_tz": str(SCHEDULE_TZ),
            "field_messages": field_messages,  # called while rendering, in the page's language
            "risk_messages": {m: _(m) for m in service.RISK_MESSAGES},
            "editing": editing,
            "global_control_pct": _share_text(global_control.share_of(db)),
            "chain_wide": scope.all_stores,
        },
    )


def _template_name(request: Request, db: Session, code: str | None) -> str | None:
    """A coupon template's name in the page's language (None without one or when it is gone)."""
    if not code:
        return None
    try:
        t = coupon_service.get_template(db, code=code)
    except DomainError:
        return None
    zh = request_locale(request) == "zh_CN"
    return str(t.name if zh or not t.name_en else t.name_en)


def _share_text(share: float) -> str | None:
    """The global control group's share as a percentage ("10%", "2.5%"), None when it is off."""
    return f"{share * 100:g}%" if share > 0 else None


def global_control_text(c: Campaign, db: Session) -> str:
    """Whether the campaign reaches the global control group, in words (the campaign page)."""
    if (c.audience or {}).get("include_global_control"):
        return _("Included: its members also receive this campaign")
    if not (pct := _share_text(global_control.share_of(db))):
        return _("Off: no customer is kept out")
    left = ((c.risks or {}).get("left_out") or {}).get("global_control")
    text = _("Left out (they measure what all marketing adds)")
    if left:
        text += " · " + _("%(n)s members left out at the last check") % {"n": f"{left:,}"}
    return f"{text} · {pct}"


@router.get("/campaigns/{code}/edit", response_class=HTMLResponse)
def edit_page(request: Request, code: str, user: ConsoleUser, db: DbSession) -> HTMLResponse:
    """The wizard on a campaign not launched yet (saved with PATCH, then checked and
    launchable as a new one); a launched campaign is refused with the reason."""
    c = service.get_campaign(db, code=code)
    if c.launched_at is not None or c.status not in EDITABLE:
        return report_page(
            request,
            code,
            user,
            db,
            error=_(
                "Campaign %(code)s has already been launched or ended: only a campaign that "
                "has not been launched can be changed"
            )
            % {"code": code},
            status_code=409,
        )
    editing = CampaignRead.model_validate(c).model_dump(mode="json")
    return wizard_page(request, user, db, editing=editing)


def _report(db: Session, code: str, user: User) -> tuple[dict[str, Any], str | None]:
    """The campaign report (as its JSON) on the published snapshot, for the user's stores;
    without a snapshot, the operational part only."""
    scope = store_scope(principal_from_user(user, db))
    try:
        out: CampaignReport = run_on_published(
            lambda eng: report_mod.campaign_report(db, eng, code=code, scope=scope)
        )
        return out.as_json(), None
    except NoPublishedSnapshot as exc:
        report = report_mod.campaign_report(db, None, code=code, scope=scope)
        return report.as_json(), exc.detail


def actions_for(c: Campaign) -> list[str]:
    """The actions the campaign page offers for a campaign in its state (the services check
    again): a campaign never launched can be checked, launched, edited and deleted; a running
    or scheduled one paused (a one-off already sent cannot) and cancelled; a paused one
    resumed and cancelled."""
    never = c.launched_at is None
    out: list[str] = []
    if never and c.status in ("draft", "scheduled") and c.kind != "journey":
        out += ["check", "launch"]
    if never and c.kind == "journey" and c.status == "draft":
        out += ["check", "launch"]
    live = c.status in ("scheduled", "running") or (c.status == "draft" and c.kind == "journey")
    if live and not (c.kind == "once" and c.launched_at is not None):
        out.append("pause")
    if c.status == "paused":
        out.append("resume")
    if never and c.status in ("draft", "scheduled", "paused"):
        out += ["edit", "delete"]
    if c.status not in ("completed", "cancelled") and not (never and c.status == "draft"):
        out.append("cancel")
    return out


ACTION_DONE = {
    "check": N_("Checked: see the pre-launch checks below."),
    "pause": N_("Paused: no new run starts until it is resumed."),
    "resume": N_("Resumed."),
    "cancel": N_(
        "Cancelled: its queued messages were withdrawn; coupons already issued stay valid."
    ),
}


@router.get("/campaigns/{code}", response_class=HTMLResponse)
def report_page(
    request: Request,
    code: str,
    user: ConsoleUser,
    db: DbSession,
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    campaign = service.get_campaign(db, code=code)
    done = request.query_params.get("done")
    notice = _(ACTION_DONE[done]) if done in ACTION_DONE else None
    if done == "launch":
        q = request.query_params
        notice = _(
            "Launched: %(queued)s messages queued, %(coupons)s coupons issued, sending from %(at)s"
        ) % {
            "queued": q.get("queued", "0"),
            "coupons": q.get("coupons", "0"),
            "at": _local_time(q.get("send_at")),
        }
    scope = store_scope(principal_from_user(user, db))
    quiet = quiet_hours_note(db, campaign, scope=scope)
    report, missing = _report(db, code, user)
    segments = {s.id: s.name for s in segment_service.list_segments(db)}
    tables = [
        (key, _(label), report.get(key, {})) for key, label in REPORT_TABLES_ALL if report.get(key)
    ]
    runs = report.get("runs", [])
    launched = {int(r["run"]) for r in runs if r.get("launched_at")}
    upcoming = next_run(campaign, utcnow(), launched)
    return render(
        request,
        "campaign/report.html",
        {
            "c": campaign,
            "r": report,
            "missing": missing,
            "tables": tables,
            "audience_label": _audience_label(campaign.audience, segments),
            "goal_labels": _labels(GOAL_LABELS),
            "status_labels": _labels(STATUS_LABELS),
            "channel_labels": _labels(CHANNEL_LABELS),
            "trigger_labels": _labels(TRIGGER_LABELS),
            "failure_labels": _labels(FAILURE_LABELS),
            "store_names": {
                st.code: st.name
                for st in store_service.list_stores(
                    db, codes=list(report.get("by_store_code", {})), active_only=False
                )
            },
            "schedule_text": schedule_label(campaign),
            "runs": runs,
            "show_runs": campaign.kind == "recurring" or len(runs) > 1,
            "next_run": (
                {"run": upcoming[0], "at": f"{upcoming[1].astimezone(SCHEDULE_TZ):%Y-%m-%d %H:%M}"}
                if upcoming
                else None
            ),
            "local_time": _local_time,
            "schedule_tz": str(SCHEDULE_TZ),
            "actions": actions_for(campaign),
            "notice": notice,
            "error": error,
            # the pre-launch check counts the chain's audience: chain-wide users only
            "risks": campaign.risks if scope.all_stores else None,
            "risk_notes": risk_notes(campaign.risks) if scope.all_stores else [],
            "quiet_note": quiet,
            "global_control_text": global_control_text(campaign, db),
            "offer_name": _template_name(request, db, campaign.offer_template),
        },
        status_code=status_code,
    )


def exclude_overlap(db: Session, *, code: str, other: str, actor: str) -> None:
    """Leave every member of the live campaign ``other`` out of the draft ``code`` (the
    pre-launch check's offer): the audience's ``exclude_campaigns`` grows by one."""
    c = service.get_campaign(db, code=code)
    service.get_campaign(db, code=other)  # exists
    audience = dict(c.audience or {})
    audience["exclude_campaigns"] = sorted({*audience.get("exclude_campaigns", []), other})
    service.update_campaign(db, code=code, data=CampaignUpdate(audience=audience), actor=actor)


def quiet_hours_note(
    db: Session, c: Campaign, now: datetime | None = None, *, scope: StoreScope | None = None
) -> str | None:
    """Why queued messages wait: marketing messages are not sent in quiet hours (the policy's
    local night), so a launch in the evening sends the next morning. A store user's count is
    their stores' members' messages."""
    mine = None if scope is None or scope.all_stores else report_mod.members_of(c, scope)
    n, first = messaging.waiting(db, campaign_id=c.id, customers=mine)
    now = now or utcnow()
    if not n or first is None or first <= now:
        return None
    policy = PressurePolicy()
    local = first.astimezone(ZoneInfo(policy.timezone))
    if local.time().replace(second=0, microsecond=0) != policy.quiet_end:
        return _("%(n)s messages wait until %(at)s (their scheduled time).") % {
            "n": f"{n:,}",
            "at": f"{local:%Y-%m-%d %H:%M}",
        }
    return _(
        "%(n)s messages wait for the end of quiet hours: marketing messages are not sent "
        "between %(start)s and %(end)s, so they go out at %(at)s."
    ) % {
        "n": f"{n:,}",
        "start": f"{policy.quiet_start:%H:%M}",
        "end": f"{policy.quiet_end:%H:%M}",
        "at": f"{local:%Y-%m-%d %H:%M}",
    }


def risk_notes(risks: dict[str, Any] | None) -> list[dict[str, str]]:
    """The pre-launch check's problems and warnings in the page's language (a check recorded
    before notes existed keeps its stored text)."""
    if not risks:
        return []
    notes = risks.get("notes")
    if notes is None:
        return [{"level": "problem", "text": p} for p in risks.get("problems", [])] + [
            {"level": "warning", "text": w} for w in risks.get("warnings", [])
        ]
    return [{"level": n["level"], "text": _(n["message"]) % n.get("params", {})} for n in notes]


@router.post("/campaigns/{code}/{action}", dependencies=[CsrfProtected], response_model=None)
def campaign_action(
    request: Request,
    code: str,
    action: str,
    user: ConsoleUser,
    db: DbSession,
    campaign: Annotated[str | None, Form()] = None,
) -> Response:
    """The campaign page's buttons: check, launch, pause, resume, cancel, delete (each audited
    by its service; a refusal is shown on the page in the reader's language, nothing done)."""
    from omniretail.marketing.campaign.journeys import launch as start

    principal = principal_from_user(user, db)
    principal.require("write")
    base = f"/campaigns/{code}"
    try:
        # a store user acts only on a campaign limited to their stores
        service.require_in_scope(service.get_campaign(db, code=code), store_scope(principal))
        if action == "check":
            run_on_published(lambda eng: service.assess_risks(db, eng, code=code))
        elif action == "launch":
            out = run_on_published(lambda eng: start(db, eng, code=code, actor=user.username))
            db.commit()
            done = {
                "done": "launch",
                "queued": out.messages_queued,
                "coupons": out.coupons.issued,
                "send_at": out.send_at.isoformat(),
            }
            return RedirectResponse(f"{base}?{urlencode(done)}", status_code=303)
        elif action == "pause":
            service.pause_campaign(db, code=code, actor=user.username)
        elif action == "resume":
            service.resume_campaign(db, code=code, actor=user.username)
        elif action == "cancel":
            service.cancel_campaign(db, code=code, actor=user.username)
        elif action == "exclude" and campaign:
            exclude_overlap(db, code=code, other=campaign, actor=user.username)
            run_on_published(lambda eng: service.assess_risks(db, eng, code=code))
            action = "check"
        elif action == "delete":
            service.delete_campaign(db, code=code, actor=user.username)
            db.commit()
            return RedirectResponse(f"/campaigns?deleted={code}", status_code=303)
        else:
            return RedirectResponse(base, status_code=303)
    except DomainError as exc:
        db.rollback()
        risks = exc.extra.get("risks")
        if risks:  # a refused launch keeps its check on the campaign, shown on the page
            service.get_campaign(db, code=code).risks = risks
            db.commit()
        return report_page(
            request, code, user, db, error=error_text(request, exc), status_code=exc.status
        )
    db.commit()
    return RedirectResponse(f"{base}?done={action}", status_code=303)


def _local_time(value: str | None) -> str:
    """An ISO instant of the report as the schedule's local wall-clock time."""
    try:
        return "—" if not value else f"{_local(value):%Y-%m-%d %H:%M}"
    except ValueError:
        return "—"


CSV_COLUMNS = (
    "table",
    "key",
    "members",
    "holdout",
    "converted",
    "conversion",
    "revenue",
    "conversion_lift",
    "conversion_ci_low",
    "conversion_ci_high",
    "conversion_p_value",
    "conversion_mde",
    "conversion_verdict",
    "revenue_per_member_lift",
    "revenue_per_member_ci_low",
    "revenue_per_member_ci_high",
    "revenue_per_member_p_value",
    "revenue_per_member_mde",
    "revenue_per_member_verdict",
    "incremental_revenue",
)


CSV_LABELS = {
    "table": N_("Breakdown"),
    "key": N_("Group"),
    "members": N_("Members"),
    "holdout": N_("Holdout"),
    "converted": N_("Converted"),
    "conversion": N_("Conversion"),
    "revenue": N_("Revenue (¥)"),
    "conversion_lift": N_("Conversion lift"),
    "conversion_ci_low": N_("Conversion lift, 95% CI low"),
    "conversion_ci_high": N_("Conversion lift, 95% CI high"),
    "conversion_p_value": N_("Conversion lift, p value"),
    "conversion_mde": N_("Conversion lift, minimum detectable"),
    "conversion_verdict": N_("Conversion verdict"),
    "revenue_per_member_lift": N_("Revenue per member lift (¥)"),
    "revenue_per_member_ci_low": N_("Revenue per member lift, 95% CI low (¥)"),
    "revenue_per_member_ci_high": N_("Revenue per member lift, 95% CI high (¥)"),
    "revenue_per_member_p_value": N_("Revenue per member lift, p value"),
    "revenue_per_member_mde": N_("Revenue per member lift, minimum detectable (¥)"),
    "revenue_per_member_verdict": N_("Revenue per member verdict"),
    "incremental_revenue": N_("Incremental revenue (¥)"),
}
CSV_MONEY = frozenset(
    {
        "revenue",
        "revenue_per_member_lift",
        "revenue_per_member_ci_low",
        "revenue_per_member_ci_high",
        "revenue_per_member_mde",
        "incremental_revenue",
    }
)
CSV_VALUES = {
    "overall": N_("Overall"),
    "all": N_("All"),
    "variant": N_("Variant"),
    "channel": N_("Channel"),
    "store_code": N_("Store"),
    "run": N_("Run"),
    "none": N_("None"),
    "lift": N_("Lift"),
    "drop": N_("Drop"),
    "no_effect": N_("No clear effect"),
    "insufficient": N_("Not enough data to conclude"),
}


def report_rows(report: dict[str, Any]) -> list[dict[str, Any]]:
    """The report's effect blocks (overall, per variant, channel, store, run) as flat CSV
    rows."""
    blocks: list[tuple[str, str, dict[str, Any]]] = [("overall", "all", report["overall"])]
    for key, _label in REPORT_TABLES_ALL:
        blocks += [(key.removeprefix("by_"), k, b) for k, b in report.get(key, {}).items()]
    blocks += [("run", str(b["run"]), b) for b in report.get("runs", [])]
    rows = []
    for table, key, b in blocks:
        conv = b.get("conversion_effect") or {}
        rev = b.get("revenue_per_member_effect") or {}
        rows.append(
            {
                "table": table,
                "key": key,
                "members": b.get("members"),
                "holdout": b.get("holdout"),
                "converted": b.get("converted"),
                "conversion": b.get("conversion"),
                "revenue": b.get("revenue"),
                "conversion_lift": conv.get("lift"),
                "conversion_ci_low": conv.get("ci_low"),
                "conversion_ci_high": conv.get("ci_high"),
                "conversion_p_value": conv.get("p_value"),
                "conversion_mde": conv.get("mde"),
                "conversion_verdict": conv.get("verdict"),
                "revenue_per_member_lift": rev.get("lift"),
                "revenue_per_member_ci_low": rev.get("ci_low"),
                "revenue_per_member_ci_high": rev.get("ci_high"),
                "revenue_per_member_p_value": rev.get("p_value"),
                "revenue_per_member_mde": rev.get("mde"),
                "revenue_per_member_verdict": rev.get("verdict"),
                "incremental_revenue": b.get("incremental_revenue"),
            }
        )
    return rows


@router.get("/campaigns/{code}/report.csv")
def report_csv(request: Request, code: str, user: ConsoleUser, db: DbSession) -> Response:
    service.get_campaign(db, code=code)
    report, _missing = _report(db, code, user)
    with i18n.use_locale(request_locale(request)):  # headers and codes in the reader's words
        labels = {k: _(v) for k, v in CSV_LABELS.items()}
        words = {k: _(v) for k, v in CSV_VALUES.items()}
        rows = [
            {
                k: words.get(v, v)
                if k in ("table", "conversion_verdict", "revenue_per_member_verdict")
                or (k == "key" and v in ("all", "none"))
                else v
                for k, v in r.items()
            }
            for r in report_rows(report)
        ]
    return export.csv_response(  # type: ignore[no-any-return]
        rows, columns=CSV_COLUMNS, labels=labels, money=CSV_MONEY, filename=f"campaign-{code}.csv"
    )
