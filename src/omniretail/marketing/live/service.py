"""Live sessions: record them, read them with their flag, and import the platforms' viewer
exports (bad rows rejected with the reason, good rows replace the session's figures)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session as DbSession

from omniretail.marketing.coupon import service as coupon_service
from omniretail.marketing.live import attribution
from omniretail.marketing.live.models import LiveSession, LiveViewerStat
from omniretail.marketing.live.schemas import LiveSessionCreate, RejectedRow, ViewerImport
from omniretail.platform.engine.base import AnalyticsEngine
from omniretail.platform.engine.dialect import in_list
from omniretail.platform.errors import Conflict, InvalidInput
from omniretail.platform.timezone import from_wall_clock

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
    snapshot's unified orders, when there is one — the orders paid with such a coupon, with
    their amount. (Codes and link parameters reach here once orders and visits carry them.)"""
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
    if engine is not None and batch_of and engine.table_exists("orders"):
        for o in engine.fetch_rows(
            "SELECT order_id, coupon_code, store_code, ordered_at, paid_amount FROM orders "
            f"WHERE status = 'paid' AND {in_list('coupon_code', sorted(batch_of))}"
        ):
            out.append(
                attribution.Touch(
                    "order", str(o["order_id"]), from_wall_clock(o["ordered_at"]),
                    coupon_batch=batch_of[o["coupon_code"]],
                    amount_fen=round((o["paid_amount"] or 0) * 100),
                    online=o["store_code"] is None, store_code=o["store_code"],
                )
            )  # fmt: skip
    return out


def session_figures(
    session: DbSession, engine: AnalyticsEngine | None = None
) -> list[dict[str, Any]]:
    """Per session what it brought (attribution.figures over ``touches``), with its platform,
    account and cost."""
    rows = list(session.scalars(select(LiveSession)))
    viewers = {v.session_code: v.viewers for v in session.scalars(select(LiveViewerStat))}
    figs = attribution.figures(
        [as_attribution(s) for s in rows], touches(session, rows, engine), viewers=viewers
    )
    meta = {s.code: s for s in rows}
    out = []
    for f in figs:
        s = meta[f.session_id]
        out.append({**vars(f), "platform": s.platform, "account": s.account, "host": s.host,
                    "title": s.title, "started_at": s.started_at, "ended_at": s.ended_at,
                    "cost_fen": s.cost_fen})  # fmt: skip
    return sorted(out, key=lambda d: _aware(d["started_at"]), reverse=True)


def platform_comparison(figures: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per platform and account: sessions, viewers, orders, GMV, cost, conversion (orders /
    viewers) and cost per order — where to invest."""
    acc: dict[tuple[str, str], dict[str, Any]] = {}
    for f in figures:
        a = acc.setdefault((f["platform"], f["account"]), {
            "platform": f["platform"], "account": f["account"], "sessions": 0, "viewers": 0,
            "orders": 0, "gmv_fen": 0, "cost_fen": 0, "coupons_redeemed_in_store": 0,
        })  # fmt: skip
        a["sessions"] += 1
        for k in ("viewers", "orders", "gmv_fen", "cost_fen", "coupons_redeemed_in_store"):
            a[k] += f[k]
    out = []
    for a in acc.values():
        a["conversion"] = a["orders"] / a["viewers"] if a["viewers"] else None
        a["cost_per_order_fen"] = a["cost_fen"] / a["orders"] if a["orders"] else None
        out.append(a)
    return sorted(out, key=lambda a: (-a["gmv_fen"], a["platform"], a["account"]))


def figures_now(session: DbSession) -> list[dict[str, Any]]:
    """``session_figures`` with the published snapshot's orders when there is one."""
    from omniretail.platform.engine.snapshot import NoPublishedSnapshot, run_on_published

    try:
        return run_on_published(lambda e: session_figures(session, e))  # type: ignore[no-any-return]
    except NoPublishedSnapshot:
        return session_figures(session)
