"""Daily check-ins (打卡): once per member per day in the chain's time zone (a retry the same
day returns the first check-in), a streak that grows on consecutive days and restarts after a
missed day, and points from the chain's streak → points table through the loyalty ledger
(one entry per member and day: its ref)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from omniretail.marketing.loyalty import service as loyalty
from omniretail.operations.community.models import CheckIn, CommunityGroup, StreakPoints
from omniretail.operations.community.schemas import CheckInIn, CheckInRead, StreakRow
from omniretail.operations.community.service import chain_day
from omniretail.platform.db import utcnow
from omniretail.platform.keys import idempotency_key

DEFAULT_TABLE = {1: 1, 2: 2, 3: 3, 7: 10}  # day 1: 1 point, 2: 2, 3–6: 3, from day 7: 10


def table(session: Session) -> dict[int, int]:
    rows = session.execute(select(StreakPoints.streak, StreakPoints.points)).all()
    return {int(s): int(p) for s, p in rows} if rows else dict(DEFAULT_TABLE)


def set_table(session: Session, *, rows: list[StreakRow]) -> dict[int, int]:
    if not rows or min(r.streak for r in rows) != 1:
        from omniretail.operations.community.errors import InvalidCommunity

        raise InvalidCommunity(
            "积分表必须从连续第 1 天开始", "the table starts at day 1 of a streak", field="rows"
        )
    session.execute(delete(StreakPoints))
    session.add_all([StreakPoints(streak=r.streak, points=r.points) for r in rows])
    session.flush()
    return table(session)


def points_for(streak: int, points_table: dict[int, int]) -> int:
    """Points for day ``streak`` of a streak: the row of the largest day ≤ streak."""
    days = [d for d in points_table if d <= streak]
    return points_table[max(days)] if days else 0


def check_in(session: Session, *, data: CheckInIn, now: datetime | None = None) -> CheckInRead:
    at = data.at or now or utcnow()
    day = chain_day(at)
    found = session.scalar(
        select(CheckIn).where(CheckIn.member_key == data.member_key, CheckIn.day == day)
    )
    if found is not None:
        return CheckInRead(
            member_key=found.member_key, day=found.day, streak=found.streak,
            points=found.points, replayed=True,
        )  # fmt: skip
    prev = session.scalar(
        select(CheckIn.streak).where(
            CheckIn.member_key == data.member_key, CheckIn.day == day - timedelta(days=1)
        )
    )
    streak = (prev or 0) + 1
    points = points_for(streak, table(session))
    group_id = None
    if data.group:
        group_id = session.scalar(
            select(CommunityGroup.id).where(CommunityGroup.chat_id == data.group)
        )
    row = CheckIn(
        member_key=data.member_key,
        customer_id=data.customer_id,
        group_id=group_id,
        day=day,
        streak=streak,
        points=points,
        at=at,
    )
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:  # a concurrent retry won: answer with its check-in
        return check_in(session, data=data, now=now)
    if points and data.customer_id:
        loyalty.award(
            session,
            customer_id=data.customer_id,
            points=points,
            ref=idempotency_key("checkin", data.member_key, day.isoformat()),
            note=f"社群打卡 连续 {streak} 天",
            now=at,
        )
    return CheckInRead(
        member_key=row.member_key, day=day, streak=streak, points=points, replayed=False
    )
