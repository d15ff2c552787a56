"""An export imported in one pass records exactly what registering its rows one by one does:
the same stays (a repeated row or a stay already there is skipped, compared as the database
compares join times), the same day counts, on both stores."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from omniretail.operations.community import service
from omniretail.operations.community.models import CommunityGroup, GroupDay, GroupMember
from omniretail.operations.community.schemas import GroupIn, MemberIn
from omniretail.platform.timezone import CHAIN_TZ
from tests.omnichannel.factories import retail_world

HEADER = "群ID,群名称,群主,成员ID,成员昵称,入群时间,入群方式,邀请人,渠道参数"


def _rows(prefix: str) -> list[str]:
    rng = random.Random(5)
    start = datetime(2026, 10, 1, 8, tzinfo=CHAIN_TZ)
    out = []
    for i in range(240):
        chat = f"{prefix}{i % 3}"
        key = f"wm{rng.randint(0, 60):03d}"  # members repeat: some rows are the same stay
        at = start + timedelta(hours=rng.randint(0, 24 * 20))
        out.append(f"{chat},群{chat},E1,{key},昵称,{at:%Y-%m-%d %H:%M:%S},{rng.choice('123')},,")
    out += out[:30]  # a file with repeated lines
    return out


def _state(
    session: Session, prefix: str
) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    session.flush()
    session.expire_all()  # what the store holds, not the objects still in memory
    groups = {
        g.id: g.chat_id[len(prefix) :]
        for g in session.scalars(
            select(CommunityGroup).where(CommunityGroup.chat_id.like(f"{prefix}%"))
        )
    }
    members = sorted(
        (groups[m.group_id], m.member_key, service.aware(m.joined_at), m.join_scene, m.name)
        for m in session.scalars(select(GroupMember).where(GroupMember.group_id.in_(groups)))
    )
    days = sorted(
        (groups[d.group_id], d.day, d.joined)
        for d in session.scalars(select(GroupDay).where(GroupDay.group_id.in_(groups)))
    )
    return members, days


def test_one_pass_equals_one_by_one(session: Session) -> None:
    retail_world(session)
    # a stay already there before the import: the same instant given in UTC and in chain time
    first = datetime(2026, 10, 1, 8, tzinfo=CHAIN_TZ)
    for prefix in ("wrX", "wrY"):
        service.upsert_group(session, data=GroupIn(chat_id=f"{prefix}0", name=f"群{prefix}0"))
        service.add_member(
            session,
            chat_id=f"{prefix}0",
            data=MemberIn(member_key="wm000", joined_at=first.astimezone(UTC)),
        )
    lines = _rows("wrX")
    lines.append(f"wrX0,群wrX0,E1,wm000,昵称,{first:%Y-%m-%d %H:%M:%S},1,,")

    res = service.import_csv(session, text="\n".join([HEADER, *lines]) + "\n")
    assert not res.errors

    added = skipped = 0
    for line in lines:  # the reference: each row registered on its own
        chat, name, _owner, key, nick, at, scene, _inv, _ch = line.split(",")
        chat = "wrY" + chat[3:]
        if not any(g.chat_id == chat for g in service.list_groups(session)):
            service.upsert_group(session, data=GroupIn(chat_id=chat, name="群" + chat))
        _, created = service.add_member(
            session,
            chat_id=chat,
            data=MemberIn(
                member_key=key,
                name=nick,
                joined_at=datetime.strptime(at, "%Y-%m-%d %H:%M:%S").replace(tzinfo=CHAIN_TZ),
                join_scene=service.SCENES[scene],  # type: ignore[arg-type]
            ),
        )
        added += created
        skipped += not created
    assert (res.members, res.skipped) == (added, skipped)
    assert res.skipped >= 30  # the repeated lines (and any repeated stay) were skipped
    assert _state(session, "wrX") == _state(session, "wrY")

    again = service.import_csv(session, text="\n".join([HEADER, *lines]) + "\n")
    assert (again.members, again.skipped) == (0, len(lines))
    assert _state(session, "wrX") == _state(session, "wrY")
