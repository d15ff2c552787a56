"""Crisis alerts: record negative mentions, build the hourly count cube, detect spikes and open
crisis tickets (one per alert, idempotent on key + opening hour)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from omniretail.care.alerts.detect import HOURS_PER_WEEK, DetectorConfig, detect
from omniretail.care.alerts.models import CrisisTicket, Mention
from omniretail.care.alerts.playbooks import SCOPE_FACTOR, playbook_for
from omniretail.platform.auth.scope import StoreScope
from omniretail.platform.errors import InvalidInput

SOURCES = ("review", "ticket", "community", "social")


@dataclass(frozen=True)
class MentionIn:
    source: str
    source_ref: str
    topic: str
    channel: str
    at: datetime
    store_code: str | None = None
    city: str | None = None
    text: str | None = None


def _hour(at: datetime) -> datetime:
    if at.tzinfo is None:
        raise InvalidInput("提及时间必须带时区", field="at")
    return at.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def record_mentions(session: Session, mentions: Iterable[MentionIn]) -> int:
    """Store negative mentions; a replay of the same (source, ref, topic) is ignored."""
    added = 0
    for m in mentions:
        if m.source not in SOURCES:
            raise InvalidInput(f"未知来源 {m.source!r}", field="source")
        exists = session.scalar(
            select(Mention.id).where(
                Mention.source == m.source,
                Mention.source_ref == m.source_ref,
                Mention.topic == m.topic,
            )
        )
        if exists is not None:
            continue
        session.add(
            Mention(
                source=m.source,
                source_ref=m.source_ref,
                topic=m.topic,
                channel=m.channel,
                store_code=m.store_code,
                city=m.city,
                hour=_hour(m.at),
                text_excerpt=(m.text or "")[:200] or None,
            )
        )
        added += 1
    session.flush()
    return added


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def count_cube(
    session: Session, *, since: datetime, until: datetime
) -> tuple[list[tuple[str, str, str, str]], np.ndarray]:
    """Keys (scope, unit, topic, channel) and their hourly counts over [since, until): every
    store, every city and the chain, per topic, per channel and for all channels ("*")."""
    since, until = _hour(since), _hour(until)
    n = int((until - since).total_seconds() // 3600)
    rows = session.execute(
        select(
            Mention.hour,
            Mention.topic,
            Mention.channel,
            Mention.store_code,
            Mention.city,
            func.count(),
        )
        .where(Mention.hour >= since, Mention.hour < until)
        .group_by(Mention.hour, Mention.topic, Mention.channel, Mention.store_code, Mention.city)
    ).all()
    index: dict[tuple[str, str, str, str], int] = {}
    cells: list[tuple[int, int, int]] = []
    for hour, topic, channel, store, city, c in rows:
        t = int((_aware(hour) - since).total_seconds() // 3600)
        units = [("national", "*")]
        if city:
            units.append(("city", city))
        if store:
            units.append(("store", store))
        for scope, unit in units:
            for ch in (channel, "*"):
                key = (scope, unit, topic, ch)
                cells.append((index.setdefault(key, len(index)), t, int(c)))
    counts = np.zeros((len(index), max(n, 0)), dtype=np.int64)
    for k, t, c in cells:
        counts[k, t] += c
    keys = sorted(index, key=index.__getitem__)
    return keys, counts


def scan(
    session: Session, *, now: datetime, weeks: int = 5, cfg: DetectorConfig | None = None
) -> list[CrisisTicket]:
    """Detect over the last ``weeks`` weeks up to ``now`` and open a ticket for each alert that
    is open in the latest 24 hours and has none yet."""
    cfg = cfg or DetectorConfig()
    until = _hour(now)
    since = until - timedelta(hours=weeks * HOURS_PER_WEEK)
    keys, counts = count_cube(session, since=since, until=until)
    if not keys:
        return []
    opened: list[CrisisTicket] = []
    recent = counts.shape[1] - 24
    alerts = [a for a in detect(counts, cfg) if a.closed is None or a.closed >= recent]
    # one incident, one ticket: a spike on one channel also raises its all-channel key; the
    # channel's own alert is left out when the all-channel one is there
    all_channels = {keys[a.key][:3] for a in alerts if keys[a.key][3] == "*"}
    for alert in alerts:
        scope, unit, topic, channel = keys[alert.key]
        if channel != "*" and (scope, unit, topic) in all_channels:
            continue
        opened_hour = since + timedelta(hours=alert.opened)
        key = f"{scope}|{unit}|{topic}|{channel}"
        if session.scalar(
            select(CrisisTicket.id).where(
                CrisisTicket.key == key, CrisisTicket.opened_hour == opened_hour
            )
        ):
            continue
        book = playbook_for(topic)
        ticket = CrisisTicket(
            key=key,
            scope=scope,
            unit=unit,
            topic=topic,
            channel=channel,
            opened_hour=opened_hour,
            count=alert.count,
            expected=round(alert.expected, 3),
            window_h=alert.window,
            score=round(alert.peak_score, 2),
            playbook=book.code,
            owner_team=book.owner_team,
            sla_due_at=_aware(now) + timedelta(hours=book.first_response_h * SCOPE_FACTOR[scope]),
        )
        session.add(ticket)
        opened.append(ticket)
    session.flush()
    return opened


def open_tickets(
    session: Session, *, limit: int = 100, scope: StoreScope | None = None
) -> Sequence[CrisisTicket]:
    """Open crisis tickets, newest first. A caller limited to some stores (``scope``) sees the
    crises of those stores only: a city's or the chain's crisis is head office's."""
    query = select(CrisisTicket).where(CrisisTicket.status != "closed")
    if scope is not None and not scope.all_stores:
        query = query.where(CrisisTicket.scope == "store", scope.where(CrisisTicket.unit))
    return session.scalars(query.order_by(CrisisTicket.id.desc()).limit(limit)).all()


def _text(value: Any) -> str | None:
    """A cell as text; None for empty, None or NaN."""
    if value is None or value != value or str(value).strip() == "":  # NaN != NaN
        return None
    return str(value)


def mentions_from_reviews(
    frame: Any,
    analysis: Any,
    *,
    id_col: str = "review_id",
    time_col: str = "created_at",
    channel_col: str = "platform",
    store_col: str = "store_code",
    city_col: str = "city",
) -> list[MentionIn]:
    """Negative mentions from analysed reviews (``insight.voice.report.analyse``): one per
    review and aspect found in a negative sentence, at the review's time, channel and store."""
    import pandas as pd

    df = frame.copy()
    df["_id"] = df[id_col].astype(str)
    df = df.merge(analysis, left_on="_id", right_on="review_id", how="inner", suffixes=("", "_a"))
    out: list[MentionIn] = []
    for rec in df.to_dict("records"):
        codes = [c for c in str(rec.get("neg_aspects") or "").split("|") if c]
        if not codes:
            continue
        at = pd.Timestamp(rec[time_col])
        if at.tzinfo is None:
            at = at.tz_localize("Asia/Shanghai")  # the chain's local time
        examples = str(rec.get("examples") or "").split("\u241e")
        for i, code in enumerate(codes):
            out.append(
                MentionIn(
                    source="review",
                    source_ref=str(rec["_id"]),
                    topic=code,
                    channel=str(rec.get(channel_col) or "unknown"),
                    at=at.to_pydatetime(),
                    store_code=_text(rec.get(store_col)),
                    city=_text(rec.get(city_col)),
                    text=examples[i] if i < len(examples) else None,
                )
            )
    return out
