"""Live sessions: record them, read them with their flag, and import the platforms' viewer
exports (bad rows rejected with the reason, good rows replace the session's figures)."""

from __future__ import annotations

import csv
import io
from datetime import UTC
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session as DbSession

from omniretail.marketing.live import attribution
from omniretail.marketing.live.models import LiveSession, LiveViewerStat
from omniretail.marketing.live.schemas import LiveSessionCreate, RejectedRow, ViewerImport
from omniretail.platform.errors import Conflict, InvalidInput

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
