"""Console pages: the campaign list (营销活动), the creation wizard and the campaign report."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from omniretail.insight.segment import service as segment_service
from omniretail.insight.segment.rules import OPS
from omniretail.insight.tag import service as tag_service
from omniretail.marketing.campaign import report as report_mod
from omniretail.marketing.campaign import service
from omniretail.marketing.campaign.models import GOALS, TRIGGERS, Campaign, CampaignMember
from omniretail.marketing.campaign.planning import MESSAGE_CHANNELS
from omniretail.marketing.campaign.schedule import next_run
from omniretail.marketing.campaign.schemas import SCHEDULE_TZ, CampaignReport
from omniretail.marketing.coupon import service as coupon_service
from omniretail.marketing.coupon.models import Coupon
from omniretail.omnichannel.store import service as store_service
from omniretail.platform import export
from omniretail.platform.auth.deps import DbSession, principal_from_user
from omniretail.platform.auth.scope import store_scope
from omniretail.platform.console.render import render
from omniretail.platform.console.session import ConsoleUser
from omniretail.platform.db import utcnow
from omniretail.platform.engine.snapshot import NoPublishedSnapshot, run_on_published
from omniretail.platform.i18n import N_, _
from omniretail.platform.messaging import service as messaging

router = APIRouter(tags=["console"])

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


def _list_numbers(db: Session) -> dict[int, dict[str, int]]:
    """Members per arm, messages sent and coupons issued for every campaign (grouped queries)."""
    out: dict[int, dict[str, int]] = {}
    for cid, arm, n in db.execute(
        select(CampaignMember.campaign_id, CampaignMember.arm, func.count()).group_by(
            CampaignMember.campaign_id, CampaignMember.arm
        )
    ):
        out.setdefault(int(cid), {})[arm] = int(n)
    for mid, n in messaging.sent_by_campaign(db).items():
        out.setdefault(mid, {})["sent"] = n
    for mid, n in messaging.failed_by_campaign(db).items():
        out.setdefault(mid, {})["failed"] = n
    codes = {row.code: row.id for row in db.execute(select(Campaign.code, Campaign.id))}
    for code, n in db.execute(
        select(Coupon.campaign_id, func.count())
        .where(Coupon.campaign_id.is_not(None))
        .group_by(Coupon.campaign_id)
    ):
        if code in codes:
            out.setdefault(codes[code], {})["coupons"] = int(n)
    return out


@router.get("/campaigns", response_class=HTMLResponse)
def list_page(request: Request, user: ConsoleUser, db: DbSession) -> HTMLResponse:
    campaigns = service.list_campaigns(db)
    segments = {s.id: s.name for s in segment_service.list_segments(db)}
    numbers = _list_numbers(db)
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
def wizard_page(request: Request, user: ConsoleUser, db: DbSession) -> HTMLResponse:
    codes = store_scope(principal_from_user(user)).codes()
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
            "fields": fields,
            "ops": {k: sorted(v) for k, v in OPS.items()},
            "goal_ids": list(GOALS),
            "trigger_ids": list(TRIGGERS),
            "schedule_tz": str(SCHEDULE_TZ),
            "field_messages": field_messages,  # called while rendering, in the page's language
        },
    )


def _report(db: Session, code: str) -> tuple[dict[str, Any], str | None]:
    """The campaign report (as its JSON) on the published snapshot; without one, the
    operational part only."""
    try:
        out: CampaignReport = run_on_published(
            lambda eng: report_mod.campaign_report(db, eng, code=code)
        )
        return out.as_json(), None
    except NoPublishedSnapshot as exc:
        return report_mod.campaign_report(db, None, code=code).as_json(), exc.detail


@router.get("/campaigns/{code}", response_class=HTMLResponse)
def report_page(request: Request, code: str, user: ConsoleUser, db: DbSession) -> HTMLResponse:
    campaign = service.get_campaign(db, code=code)
    report, missing = _report(db, code)
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
        },
    )


def _local_time(value: str | None) -> str:
    """An ISO instant of the report as the schedule's local wall-clock time."""
    return "—" if not value else f"{_local(value):%Y-%m-%d %H:%M}"


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
def report_csv(code: str, user: ConsoleUser, db: DbSession) -> Response:
    service.get_campaign(db, code=code)
    report, _missing = _report(db, code)
    return export.csv_response(  # type: ignore[no-any-return]
        report_rows(report), columns=CSV_COLUMNS, filename=f"campaign-{code}.csv"
    )
