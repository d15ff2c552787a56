"""Live sessions: record them, read them with their flag, and import the platforms' viewer
exports (bad rows rejected with the reason, good rows replace the session's figures)."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session as DbSession

from omniretail.insight.traffic.sql import VISIT_TYPES
from omniretail.marketing.coupon import service as coupon_service
from omniretail.marketing.live import attribution
from omniretail.marketing.live.models import LiveSession, LiveViewerStat
from omniretail.marketing.live.schemas import LiveSessionCreate, RejectedRow, ViewerImport
from omniretail.platform.engine.base import AnalyticsEngine
from omniretail.platform.engine.dialect import in_list, literal
from omniretail.platform.errors import Conflict, InvalidInput
from omniretail.platform.timezone import from_wall_clock, to_wall_clock

# the viewer export's columns (抖音/快手/视频号 back offices name them alike) → our fields
VIEWER_COLUMNS = {
    "场次编码": "session_code",
    "观看人数": "viewers",
    "最高在线": "peak_viewers",
    "观看时长(分钟)": "watch_minutes",
    "点赞": "likes",
    "评论": "comments",
    "分享": "shares",
    "新增关注": "new_followers",
}
COUNTS = [f for f in VIEWER_COLUMNS.values() if f != "session_code"]


def create_session(session: DbSession, *, data: LiveSessionCreate) -> LiveSession:
    if session.scalar(select(LiveSession.id).where(LiveSession.code == data.code)) is not None:
        raise Conflict(f"live session {data.code!r} already exists", field="code")
    row = LiveSession(**data.model_dump())
    session.add(row)
    session.flush()
    return row


def list_sessions(session: DbSession) -> list[dict[str, Any]]:
    """Every session with its flag (``no_end``) and imported viewers, newest first."""
    viewers = {v.session_code: v.viewers for v in session.scalars(select(LiveViewerStat))}
    out = []
    for s in session.scalars(select(LiveSession).order_by(LiveSession.started_at.desc())):
        d = {c: getattr(s, c) for c in LiveSession.__table__.columns.keys()}  # noqa: SIM118
        d["flag"] = as_attribution(s).flag()
        d["viewers"] = viewers.get(s.code)
        out.append(d)
    return out


def as_attribution(s: LiveSession) -> attribution.Session:
    def aware(t: Any) -> Any:
        return t if t is None or t.tzinfo is not None else t.replace(tzinfo=UTC)

    return attribution.Session(
        session_id=s.code,
        platform=s.platform,
        account=s.account,
        start=aware(s.started_at),
        end=aware(s.ended_at),
        codes=frozenset(s.codes or []),
        link_params=frozenset(s.link_params or []),
        coupon_batches=frozenset(s.coupon_batches or []),
    )


def import_viewers(session: DbSession, *, text: str) -> ViewerImport:
    """A platform's viewer export (CSV with the columns of VIEWER_COLUMNS; 场次编码 and 观看人数
    required). A row naming no known session, or with a count that is not a whole number ≥ 0,
    is rejected with the reason; the others replace their session's figures."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [h.strip() for h in reader.fieldnames or []]
    for need in ("场次编码", "观看人数"):
        if need not in header:
            raise InvalidInput(f"the viewer export has no column {need}", field="file")
    known = set(session.scalars(select(LiveSession.code)))
    rejected: list[RejectedRow] = []
    good: dict[str, dict[str, Any]] = {}
    for i, raw in enumerate(reader, 1):
        row = {VIEWER_COLUMNS.get((k or "").strip(), (k or "").strip()): (v or "").strip()
               for k, v in raw.items()}  # fmt: skip
        code = row.get("session_code") or ""
        reason = None
        values: dict[str, int | None] = {}
        if not code:
            reason = "missing_session"
        elif code not in known:
            reason = "unknown_session"
        for f in COUNTS:
            if reason:
                break
            v = row.get(f, "")
            if v == "":
                if f == "viewers":
                    reason = "invalid:viewers"
                values[f] = None
                continue
            try:
                n = int(v.replace(",", ""))
            except ValueError:
                reason = f"invalid:{f}"
                break
            if n < 0:
                reason = f"negative:{f}"
            values[f] = n
        if reason:
            rejected.append(RejectedRow(row=i, reason=reason))
            continue
        extra = {k: v for k, v in row.items() if k not in VIEWER_COLUMNS.values() and v}
        good[code] = {**values, "extra": extra}
    for code, values in good.items():
        stat = session.scalar(select(LiveViewerStat).where(LiveViewerStat.session_code == code))
        if stat is None:
            stat = LiveViewerStat(session_code=code)
            session.add(stat)
        for k, v in values.items():
            setattr(stat, k, v)
    session.flush()
    return ViewerImport(imported=len(good), rejected=rejected)


def _aware(t: datetime) -> datetime:
    return t if t.tzinfo is not None else t.replace(tzinfo=UTC)


def touches(
    session: DbSession, sessions: list[LiveSession], engine: AnalyticsEngine | None = None
) -> list[attribution.Touch]:
    """What the sessions' coupon batches led to: every coupon of a batch issued (claimed) and
    redeemed (in a store or online) from the coupon ledger, and — from the published
    snapshot's unified orders, when there is one — the paid orders carrying a session's
    evidence themselves (``order_touches``: a coupon of its batch, its code, its link), with
    their amount; and the orders, new members and store visits of the unified events carrying
    a session's code or link parameter (``event_touches``)."""
    batches = sorted({b for s in sessions for b in (s.coupon_batches or [])})
    act = coupon_service.batch_activity(session, template_codes=batches)
    batch_of = {c["code"]: c["template_code"] for c in act["issued"]}
    out = [
        attribution.Touch("coupon_claim", c["code"], _aware(c["issued_at"]),
                          coupon_batch=c["template_code"])
        for c in act["issued"]
    ]  # fmt: skip
    out += [
        attribution.Touch("coupon_redemption", r["code"], _aware(r["at"]),
                          coupon_batch=r["template_code"], online=r["store_code"] is None,
                          store_code=r["store_code"])
        for r in act["redemptions"]
    ]  # fmt: skip
    if engine is not None:
        out += order_touches(engine, sessions, batch_of)
        seen = event_touches(engine, sessions)
        out += seen + landed_orders(engine, seen)
    return out


def order_touches(
    engine: AnalyticsEngine, sessions: list[LiveSession], batch_of: dict[str, str]
) -> list[attribution.Touch]:
    """The paid unified orders carrying a session's evidence on the order itself: a coupon of
    one of its batches (``coupon_code`` through the coupon ledger, or the ``coupon_batch`` a
    platform's export names), its code (``live_code``, typed or scanned at checkout) or its
    tracked link (``live_link``: the URL or query the buyer landed from, e.g. ``live_id=…``).
    Operational orders carry these from the order API; channel exports through their mapping."""
    if not engine.table_exists("orders"):
        return []
    have = set(engine.columns("orders"))
    codes = sorted({c for s in sessions for c in (s.codes or [])})
    batches = sorted({b for s in sessions for b in (s.coupon_batches or [])})
    links = {p for s in sessions for p in (s.link_params or [])}
    cols = [c if c in have else f"CAST(NULL AS VARCHAR) AS {c}"
            for c in ("coupon_code", "coupon_batch", "live_code", "live_link",
                      "customer_id")]  # fmt: skip
    wants = []
    if batch_of and "coupon_code" in have:
        wants.append(in_list("coupon_code", sorted(batch_of)))
    if batches and "coupon_batch" in have:
        wants.append(in_list("coupon_batch", batches))
    if codes and "live_code" in have:
        wants.append(in_list("live_code", codes))
    if links and "live_link" in have:
        wants.append("live_link IS NOT NULL")
    if not wants:
        return []
    out: list[attribution.Touch] = []
    for o in engine.fetch_rows(
        f"SELECT order_id, {', '.join(cols)}, store_code, ordered_at, paid_amount FROM orders "
        f"WHERE status = 'paid' AND ({' OR '.join(wants)})"
    ):
        batch = o["coupon_batch"] if o["coupon_batch"] in batches else None
        batch = batch or batch_of.get(o["coupon_code"] or "")
        code = o["live_code"] if o["live_code"] in codes else None
        link = next((p for p in link_candidates({"link": o["live_link"]}) if p in links), None)
        if batch is None and code is None and link is None:
            continue
        out.append(
            attribution.Touch(
                "order", str(o["order_id"]), from_wall_clock(o["ordered_at"]), code=code,
                link_param=link, coupon_batch=batch,
                amount_fen=round((o["paid_amount"] or 0) * 100),
                online=o["store_code"] is None, store_code=o["store_code"],
                customer_id=o["customer_id"],
            )
        )  # fmt: skip
    return out


# events carrying a session's code or link parameter (the Segment-spec names, snake-cased by
# the segment_events mapping): an order reported by the shop or mini-program, a registration,
# a store visit (the store-traffic visit kinds)
ORDER_EVENTS = ("order_completed", "checkout_completed", "order_paid")
# a customer arriving from a session (its link or code in the event): the landing of rule 4
LANDING_EVENTS = ("page_view", "screen_view", "product_view", "link_clicked", "deep_link_opened")
MEMBER_EVENTS = ("signed_up", "member_registered", "member_joined")
CODE_KEYS = ("live_code", "live_room_code")  # 口令 / 直播间专属码 typed or scanned
LINK_KEYS = ("url", "search", "referrer", "link")  # the landing link and its query


def link_candidates(props: dict[str, Any]) -> list[str]:
    """The link parameters an event carries: every ``name=value`` pair (and bare value) of
    the query of its url / search / referrer / link properties, and ``live_id`` itself."""
    out: list[str] = []
    for k in LINK_KEYS:
        v = props.get(k)
        if not isinstance(v, str) or not v:
            continue
        query = urlsplit(v).query if "://" in v or v.startswith("/") else v.lstrip("?")
        for name, value in parse_qsl(query, keep_blank_values=False):
            out += [f"{name}={value}", value]
    if isinstance(props.get("live_id"), str):
        out += [f"live_id={props['live_id']}", props["live_id"]]
    return out


def event_touches(engine: AnalyticsEngine, sessions: list[LiveSession]) -> list[attribution.Touch]:
    """Orders, new members and store visits from the unified ``events`` whose properties carry
    one of the sessions' codes (``live_code``) or link parameters (the landing url's query,
    e.g. ``live_id=…``). An order counts only as the unified orders know it, paid (its amount,
    store and time from there); a new member is the customer registering (once, whatever the
    number of registration events); a store visit is one visit event."""
    codes = {c for s in sessions for c in (s.codes or [])}
    links = {p for s in sessions for p in (s.link_params or [])}
    if not (codes or links) or not engine.table_exists("events"):
        return []
    kinds = (*ORDER_EVENTS, *MEMBER_EVENTS, *VISIT_TYPES, *LANDING_EVENTS)
    rows = engine.fetch_rows(
        "SELECT event_id, event_type, occurred_at, store_code, customer_id, "
        "CAST(properties AS VARCHAR) AS properties FROM events "
        f"WHERE properties IS NOT NULL AND {in_list('event_type', list(kinds))}"
    )
    found: list[tuple[dict[str, Any], dict[str, Any], str | None, str | None]] = []
    order_ids: set[str] = set()
    for r in rows:
        try:
            props = json.loads(r["properties"])
        except (TypeError, ValueError):
            continue
        if not isinstance(props, dict):
            continue
        code = next((str(props[k]) for k in CODE_KEYS
                     if props.get(k) is not None and str(props[k]) in codes), None)  # fmt: skip
        link = next((p for p in link_candidates(props) if p in links), None)
        if code is None and link is None:
            continue
        found.append((r, props, code, link))
        if r["event_type"] in ORDER_EVENTS and props.get("order_id") is not None:
            order_ids.add(str(props["order_id"]))
    paid: dict[str, dict[str, Any]] = {}
    if order_ids and engine.table_exists("orders"):
        for o in engine.fetch_rows(
            "SELECT order_id, store_code, ordered_at, paid_amount FROM orders "
            f"WHERE status = 'paid' AND {in_list('order_id', sorted(order_ids))}"
        ):
            paid[str(o["order_id"])] = o
    out: list[attribution.Touch] = []
    for r, props, code, link in found:
        et = r["event_type"]
        if et in ORDER_EVENTS:
            known = paid.get(str(props.get("order_id")))
            if known is None:
                continue  # not a paid order of the unified orders
            out.append(attribution.Touch(
                "order", str(known["order_id"]), from_wall_clock(known["ordered_at"]), code=code,
                link_param=link, amount_fen=round((known["paid_amount"] or 0) * 100),
                online=known["store_code"] is None, store_code=known["store_code"],
                customer_id=r["customer_id"],
            ))  # fmt: skip
        elif et in MEMBER_EVENTS:
            ref = r["customer_id"] or r["event_id"]
            out.append(attribution.Touch("new_member", str(ref), from_wall_clock(r["occurred_at"]),
                                         code=code, link_param=link))  # fmt: skip
        elif et in VISIT_TYPES:
            out.append(attribution.Touch(
                "store_visit", str(r["event_id"]), from_wall_clock(r["occurred_at"]),
                code=code, link_param=link, online=False, store_code=r["store_code"],
            ))  # fmt: skip
        if (et in VISIT_TYPES or et in LANDING_EVENTS) and r["customer_id"] is not None:
            out.append(attribution.Touch(
                "landing", str(r["event_id"]), from_wall_clock(r["occurred_at"]), code=code,
                link_param=link, customer_id=str(r["customer_id"]),
            ))  # fmt: skip
    return out


def landed_orders(
    engine: AnalyticsEngine, landings: list[attribution.Touch]
) -> list[attribution.Touch]:
    """The paid unified orders of the customers who landed from a session, from their first
    landing on (rule 4 decides which, if any, a landing claims)."""
    first: dict[str, datetime] = {}
    for t in landings:
        if t.kind == "landing" and t.customer_id is not None:
            first[t.customer_id] = min(t.at, first.get(t.customer_id, t.at))
    if not first or not engine.table_exists("orders"):
        return []
    if "customer_id" not in engine.columns("orders"):
        return []
    since = to_wall_clock(min(first.values())).replace(tzinfo=None)
    out: list[attribution.Touch] = []
    for o in engine.fetch_rows(
        "SELECT order_id, customer_id, store_code, ordered_at, paid_amount FROM orders "
        f"WHERE status = 'paid' AND {in_list('customer_id', sorted(first))} "
        f"AND ordered_at >= {literal(since)}"
    ):
        out.append(attribution.Touch(
            "order", str(o["order_id"]), from_wall_clock(o["ordered_at"]),
            amount_fen=round((o["paid_amount"] or 0) * 100), online=o["store_code"] is None,
            store_code=o["store_code"], customer_id=str(o["customer_id"]),
        ))  # fmt: skip
    return out


BASELINE_WEEKS = 4


def baseline_effects(
    engine: AnalyticsEngine, sessions: list[LiveSession], weeks: int = BASELINE_WEEKS
) -> dict[str, attribution.Effect]:
    """Per session the incremental effect on the paid orders of its platform's channels
    (``dim_channel.platform``; all online orders where no channel names the platform) in its
    hours, against the same hours of the ``weeks`` weeks before: a matched window that overlaps
    any session of the platform, or starts before the first such order (no data yet), is
    left out; under two windows left, no effect is given."""
    if not engine.table_exists("orders"):
        return {}
    by_platform: dict[str, list[attribution.Session]] = {}
    for row in sessions:
        a = as_attribution(row)
        by_platform.setdefault(a.platform, []).append(a)
    channels: dict[str, list[str]] = {}
    if (
        engine.table_exists("dim_channel")
        and "platform" in engine.columns("dim_channel")
        and "channel_code" in engine.columns("orders")
    ):
        for c in engine.fetch_rows("SELECT channel_code, platform FROM dim_channel"):
            if c["platform"]:
                channels.setdefault(str(c["platform"]), []).append(str(c["channel_code"]))
    out: dict[str, attribution.Effect] = {}
    for platform, group in sorted(by_platform.items()):
        if platform in channels:
            basis, scope = "matched_hours_platform", in_list("channel_code", channels[platform])
        else:
            basis, scope = "matched_hours_online", "store_code IS NULL"
        first = engine.fetch_rows(
            f"SELECT min(ordered_at) AS first_at FROM orders WHERE status = 'paid' AND {scope}"
        )[0]["first_at"]
        if first is None:
            continue
        busy = [(g.start, g.end if g.end is not None and g.end > g.start else g.start)
                for g in group]  # fmt: skip

        def gmv(lo: datetime, hi: datetime, scope: str = scope) -> int:
            lo_w = to_wall_clock(lo).replace(tzinfo=None)
            hi_w = to_wall_clock(hi).replace(tzinfo=None)
            v = engine.fetch_rows(
                "SELECT sum(paid_amount) AS gmv FROM orders WHERE status = 'paid' AND "
                f"{scope} AND ordered_at >= {literal(lo_w)} AND ordered_at < {literal(hi_w)}"
            )[0]["gmv"]
            return round((v or 0) * 100)

        for s in group:
            if s.flag() is not None or s.end is None or s.end == s.start:
                continue
            base = []
            for k in range(1, weeks + 1):
                lo, hi = s.start - timedelta(weeks=k), s.end - timedelta(weeks=k)
                if from_wall_clock(first) > lo or any(b0 < hi and lo <= b1 for b0, b1 in busy):
                    continue
                base.append(gmv(lo, hi))
            effect = attribution.incremental(gmv(s.start, s.end), base, basis=basis)
            if effect is not None:
                out[s.session_id] = effect
    return out


def session_figures(
    session: DbSession, engine: AnalyticsEngine | None = None
) -> list[dict[str, Any]]:
    """Per session what it brought (attribution.figures over ``touches``), with its platform,
    account, cost and the engagement of the platform's export (likes, comments, shares, new
    followers)."""
    rows = list(session.scalars(select(LiveSession)))
    stats = {v.session_code: v for v in session.scalars(select(LiveViewerStat))}
    viewers = {code: v.viewers for code, v in stats.items()}
    figs = attribution.figures(
        [as_attribution(s) for s in rows], touches(session, rows, engine), viewers=viewers
    )
    meta = {s.code: s for s in rows}
    effects = baseline_effects(engine, rows) if engine is not None else {}
    out = []
    for f in figs:
        s = meta[f.session_id]
        stat = stats.get(f.session_id)
        engaged = {k: int(getattr(stat, k, None) or 0) for k in ENGAGEMENT}
        out.append({**vars(f), "platform": s.platform, "account": s.account, "host": s.host,
                    "title": s.title, "started_at": s.started_at, "ended_at": s.ended_at,
                    "cost_fen": s.cost_fen, **engaged,
                    "effect": _effect(effects.get(f.session_id))})  # fmt: skip
    return sorted(out, key=lambda d: _aware(d["started_at"]), reverse=True)


ENGAGEMENT = ("likes", "comments", "shares", "new_followers")


def _effect(e: attribution.Effect | None) -> dict[str, Any] | None:
    return None if e is None else vars(e)


def platform_comparison(figures: list[dict[str, Any]], *, by: str = "all") -> list[dict[str, Any]]:
    """Per platform and account — and per month of the sessions' start (chain time) when
    ``by`` is ``month``, to follow them over time: sessions, viewers, engagement (likes,
    comments and shares; their rate per viewer), new followers, orders, GMV, cost, conversion
    (orders / viewers) and cost per order — where to invest."""
    acc: dict[tuple[str, str, str], dict[str, Any]] = {}
    for f in figures:
        period = f"{to_wall_clock(f['started_at']):%Y-%m}" if by == "month" else ""
        a = acc.setdefault((period, f["platform"], f["account"]), {
            "period": period or None, "platform": f["platform"], "account": f["account"],
            "sessions": 0, "viewers": 0, "orders": 0, "gmv_fen": 0, "cost_fen": 0,
            "coupons_redeemed_in_store": 0, "engagements": 0, "new_followers": 0,
        })  # fmt: skip
        a["sessions"] += 1
        for k in ("viewers", "orders", "gmv_fen", "cost_fen", "coupons_redeemed_in_store",
                  "new_followers"):  # fmt: skip
            a[k] += f.get(k, 0)
        a["engagements"] += sum(f.get(k, 0) for k in ("likes", "comments", "shares"))
    out = []
    for a in acc.values():
        a["conversion"] = a["orders"] / a["viewers"] if a["viewers"] else None
        a["engagement_rate"] = a["engagements"] / a["viewers"] if a["viewers"] else None
        a["cost_per_order_fen"] = a["cost_fen"] / a["orders"] if a["orders"] else None
        out.append(a)
    return sorted(
        out, key=lambda a: (a["period"] or "", -a["gmv_fen"], a["platform"], a["account"])
    )


def figures_now(session: DbSession) -> list[dict[str, Any]]:
    """``session_figures`` with the published snapshot's orders when there is one."""
    from omniretail.platform.engine.snapshot import NoPublishedSnapshot, run_on_published

    try:
        return run_on_published(lambda e: session_figures(session, e))  # type: ignore[no-any-return]
    except NoPublishedSnapshot:
        return session_figures(session)
