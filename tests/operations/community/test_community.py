"""Communities on the operational store: a WeCom export imported through the mapping (bad rows
returned, a rerun adds nothing), live codes filling groups to 200 and asking for the next,
a referral campaign with its abuse rules, rewards and K-factor, check-ins once a day in the
chain's time zone with streak points, group health."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from omniretail.marketing.loyalty import service as loyalty
from omniretail.operations.community import checkin, livecode, referral, service
from omniretail.operations.community.errors import GroupsFull, UnknownCode, UnknownGroup
from omniretail.operations.community.referral import Person, abuse_reason
from omniretail.operations.community.schemas import (
    CampaignIn,
    CheckInIn,
    GroupIn,
    JoinIn,
    LiveCodeIn,
)
from tests.omnichannel.factories import retail_world

EXPORT = """群ID,群名称,群主,成员ID,成员昵称,入群时间,入群方式,邀请人,渠道参数
wrA,江汉路店福利群1,E1,wmU1,小王,2026-11-01 10:00:00,3,,
wrA,江汉路店福利群1,E1,wmU2,小李,2026-11-02 10:00:00,1,wmU1,
wrA,江汉路店福利群1,E1,,无名,2026-11-02 10:00:00,1,,
wrB,江汉路店福利群2,E1,wmU3,小张,昨天,2,,
wrB,江汉路店福利群2,E1,wmU4,小赵,1762000000,邀请链接,wmU1,
"""


def test_import_live_code_and_health(session: Session) -> None:
    retail_world(session)
    res = service.import_csv(session, text=EXPORT, store_code="S1")
    assert (res.groups, res.members, res.skipped) == (2, 3, 0)
    assert [(e.row, e.field) for e in res.errors] == [(4, "成员ID"), (5, "入群时间")]
    assert "无法识别" in res.errors[1].message_zh
    again = service.import_csv(session, text=EXPORT, store_code="S1")
    assert (again.members, again.skipped) == (0, 3)
    members = {m.member_key: m for m in service.members(session, chat_id="wrA")}
    assert members["wmU2"].join_scene == "direct_invite"
    assert members["wmU2"].inviter_key == "wmU1"

    with pytest.raises(UnknownGroup) as e:
        livecode.create_code(
            session, data=LiveCodeIn(code="S1-QR", name="江汉路店活码", groups=["nope"])
        )
    assert e.value.field == "groups[0]"
    code = livecode.create_code(
        session,
        data=LiveCodeIn(code="S1-QR", name="江汉路店活码", store_code="S1", groups=["wrA", "wrB"]),
    )
    assert len(code.state) <= 30
    t = datetime(2026, 12, 1, 2, tzinfo=UTC)
    for i in range(198):  # wrA has 2: fill it to 200, then wrB (1 member) to 200
        livecode.join(session, code="S1-QR", data=JoinIn(member_key=f"m{i}", joined_at=t))
    after = livecode.get_code(session, code="S1-QR")
    assert [g.members for g in after.groups] == [200, 1]
    assert not after.needs_group
    r = livecode.join(session, code="s1-qr", data=JoinIn(member_key="late", joined_at=t))
    assert r.group.chat_id == "wrB"
    assert r.state == code.state
    assert livecode.join(session, code="S1-QR", data=JoinIn(member_key="late")).replayed
    for i in range(189):
        livecode.join(session, code="S1-QR", data=JoinIn(member_key=f"n{i}", joined_at=t))
    assert livecode.get_code(session, code="S1-QR").needs_group  # 10 places left: ask early
    for i in range(9):
        livecode.join(session, code="S1-QR", data=JoinIn(member_key=f"o{i}", joined_at=t))
    with pytest.raises(GroupsFull) as full:
        livecode.join(session, code="S1-QR", data=JoinIn(member_key="one-too-many", joined_at=t))
    assert "请添加新群" in full.value.message_zh
    with pytest.raises(UnknownCode):
        livecode.join(session, code="nope", data=JoinIn(member_key="x"))
    service.upsert_group(
        session, data=GroupIn(chat_id="wrC", name="江汉路店福利群3", store_code="S1")
    )
    livecode.create_code(
        session,
        data=LiveCodeIn(
            code="S1-QR", name="江汉路店活码", store_code="S1", groups=["wrA", "wrB", "wrC"]
        ),
    )
    assert (
        livecode.join(session, code="S1-QR", data=JoinIn(member_key="one-too-many")).group.chat_id
        == "wrC"
    )

    now = t + timedelta(days=2)
    service.record_message(session, chat_id="wrB", member_key="late", at=now - timedelta(hours=1))
    service.leave(session, chat_id="wrA", member_key="m0", at=t + timedelta(hours=1))
    h = {x.chat_id: x for x in service.health(session, now=now)}
    assert h["wrA"].members == 199
    assert h["wrA"].quiet
    assert not h["wrB"].quiet
    assert h["wrB"].active_7d == 1
    assert h["wrB"].silent_share == round(199 / 200, 4)
    assert h["wrC"].members == 1
    assert service.mark_quiet(session, now=now) >= 1


def test_referral_abuse_rewards_and_k_factor(session: Session) -> None:
    retail_world(session)
    service.upsert_group(session, data=GroupIn(chat_id="g1", name="裂变群", store_code="S1"))
    livecode.create_code(session, data=LiveCodeIn(code="FISSION", name="裂变活码", groups=["g1"]))
    t = datetime(2026, 12, 1, 2, tzinfo=UTC)
    referral.create_campaign(
        session,
        data=CampaignIn(
            code="SPRING", title="邀好友进群", live_code="FISSION", reward_points=50,
            starts_at=t, ends_at=t + timedelta(days=7),
        ),
    )  # fmt: skip
    j = livecode.join(
        session, code="FISSION",
        data=JoinIn(member_key="A", customer_id="C1", phone="13800000001", device="dA",
                    joined_at=t),
    )  # fmt: skip
    assert j.invite_status is None  # a seed member, not invited
    joins = [
        ("B", "A", "13800000002", "dB", None),  # valid
        ("C", "A", "13800000003", "dC", None),  # valid
        ("D", "A", "13800000002", "dD", None),  # B's phone again
        ("E", "A", "13800000005", "dA", None),  # A's device
        ("A2", "A", "13800000001", "dX", None),  # A's phone: a second account of A
        ("F", "B", "13800000006", "dF", 3),  # leaves after 3 h
        ("G", "B", "13800000007", "dG", None),  # valid, B's invite
    ]
    for key, inviter, phone, device, leaves in joins:
        r = livecode.join(
            session, code="FISSION",
            data=JoinIn(member_key=key, inviter_key=inviter, phone=phone, device=device,
                        customer_id="C2" if key == "B" else None, joined_at=t + timedelta(hours=1)),
        )  # fmt: skip
        assert r.invite_status == "pending"
        if leaves:
            service.leave(session, chat_id="g1", member_key=key, at=t + timedelta(hours=1 + leaves))
    referral.record_shares(session, campaign="SPRING", member_key="A", count=10)
    assert referral.settle(session, now=t + timedelta(hours=2)) == 0  # not 24 h yet
    assert referral.settle(session, now=t + timedelta(days=2)) == 7
    assert referral.settle(session, now=t + timedelta(days=3)) == 0  # decided once
    got = referral.campaign_read(session, campaign="SPRING")
    s = got.stats
    assert (s.valid, s.refused, s.pending) == (3, 4, 0)
    assert s.refused_by_reason == {"same_phone": 2, "same_device": 1, "left_24h": 1}
    assert s.inviters == 2
    assert s.invitations_sent == 10 + 2
    assert s.k_factor == 1.5
    assert s.invite_conversion == round(3 / 12, 4)
    assert s.points_awarded == 150
    assert loyalty.account_view(session, customer_id="C1").balance == 100
    assert loyalty.account_view(session, customer_id="C2").balance == 50
    assert got.tree[0].member_key == "A"
    b = next(n for n in got.tree[0].children if n.member_key == "B")
    assert {n.member_key for n in b.children} == {"F", "G"}


def test_check_in_once_a_day_in_chain_time_with_streak_points(session: Session) -> None:
    # 23:30 UTC on Dec 1 is 07:30 on Dec 2 in Shanghai: the same chain day as 10:00 UTC Dec 2
    first = checkin.check_in(session, data=CheckInIn(member_key="A", customer_id="C1",
                             at=datetime(2026, 12, 1, 23, 30, tzinfo=UTC)))  # fmt: skip
    again = checkin.check_in(session, data=CheckInIn(member_key="A", customer_id="C1",
                             at=datetime(2026, 12, 2, 10, 0, tzinfo=UTC)))  # fmt: skip
    assert again.replayed
    assert again.day == first.day
    assert first.points == 1
    streak = [first]
    for d in range(1, 8):
        streak.append(
            checkin.check_in(
                session,
                data=CheckInIn(
                    member_key="A", customer_id="C1", at=datetime(2026, 12, 2 + d, 1, tzinfo=UTC)
                ),
            )  # fmt: skip
        )
    assert [c.streak for c in streak] == list(range(1, 9))
    assert [c.points for c in streak] == [1, 2, 3, 3, 3, 3, 10, 10]
    assert loyalty.account_view(session, customer_id="C1").balance == 35
    gap = checkin.check_in(session, data=CheckInIn(member_key="A", customer_id="C1",
                           at=datetime(2026, 12, 12, 1, tzinfo=UTC)))  # fmt: skip
    assert (gap.streak, gap.points) == (1, 1)


PEOPLE = st.builds(
    Person,
    key=st.sampled_from(["a", "b", "c"]),
    customer_id=st.sampled_from([None, "C1", "C2"]),
    phone=st.sampled_from([None, "p1", "p2"]),
    device=st.sampled_from([None, "d1", "d2"]),
)


@settings(max_examples=200, deadline=None)
@given(
    invitee=PEOPLE,
    inviter=PEOPLE,
    phones=st.sets(st.sampled_from(["p1", "p2", "p3"])),
    devices=st.sets(st.sampled_from(["d1", "d2"])),
    left=st.none() | st.integers(0, 100),
)
def test_abuse_rules_name_a_reason_exactly_when_one_applies(
    invitee: Person, inviter: Person, phones: set[str], devices: set[str], left: int | None
) -> None:
    t = datetime(2026, 12, 1, tzinfo=UTC)
    left_at = None if left is None else t + timedelta(hours=left)
    reason = abuse_reason(invitee, inviter, earlier_phones=phones, earlier_devices=devices,
                          joined_at=t, left_at=left_at)  # fmt: skip
    clean = (
        invitee.key != inviter.key
        and (invitee.customer_id is None or invitee.customer_id != inviter.customer_id)
        and not (invitee.phone and (invitee.phone == inviter.phone or invitee.phone in phones))
        and not (invitee.device and (invitee.device == inviter.device or invitee.device in devices))
        and (left is None or left >= 24)
    )
    assert (reason is None) == clean


_members = iter(range(10**6))


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    days=st.lists(st.integers(0, 20), min_size=1, max_size=12),
    retries=st.lists(st.integers(1, 3), min_size=12, max_size=12),
    hours=st.lists(st.integers(0, 23), min_size=12, max_size=12),
)
def test_check_ins_and_their_points_are_idempotent_under_retries(
    sqlite_session: Session, days: list[int], retries: list[int], hours: list[int]
) -> None:
    n = next(_members)
    member, customer = f"prop{n}", f"P{n:09d}"
    start = datetime(2026, 11, 1, tzinfo=UTC)
    times = sorted(start + timedelta(days=d, hours=hours[i]) for i, d in enumerate(days))
    for at, n_tries in zip(times, retries, strict=False):  # in time order, each retried
        for _ in range(n_tries):
            data = CheckInIn(member_key=member, customer_id=customer, at=at)
            checkin.check_in(sqlite_session, data=data)
    chain_days = sorted({service.chain_day(at) for at in times})
    expected, streak, prev = 0, 0, None
    for day in chain_days:
        streak = streak + 1 if prev is not None and (day - prev).days == 1 else 1
        expected += checkin.points_for(streak, checkin.DEFAULT_TABLE)
        prev = day
    assert loyalty.account_view(sqlite_session, customer_id=customer).balance == expected
