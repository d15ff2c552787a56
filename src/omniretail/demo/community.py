"""Communities in the demo world, built in the operational store after the pipeline through the
community services (fixed seeds): WeCom customer groups per store imported from an export
through the mapping, 60 days of joins, leaves and messages (two groups gone quiet), a live
code per store (one whose groups are nearly full), a referral campaign with an invite tree
and seeded fraud, and daily check-ins.

The fraud is known (``truth``): self-invites (a member's second account with the same
customer), fake accounts on the inviter's phone, a device farm (one device, many accounts) and
join-and-leave within 24 h for the reward. Honest invites can trip the rules too (a family
tablet the inviter also used, a friend who leaves the same day): ``evaluate`` measures the
rules' false-positive rate (honest invites refused / honest invites) and their recall."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from omniretail.cdp.profile import service as profile_service
from omniretail.omnichannel.inventory import service as inventory
from omniretail.omnichannel.staff import service as staff_service
from omniretail.operations.community import checkin, livecode, referral, service
from omniretail.operations.community.models import Invite
from omniretail.operations.community.schemas import CampaignIn, CheckInIn, JoinIn, LiveCodeIn
from omniretail.platform.db import utcnow
from omniretail.platform.timezone import CHAIN_TZ

KINDS = ["marketing", "content", "service"]
KIND_NAME = {"marketing": "福利群", "content": "好物分享群", "service": "售后服务群"}
NICK = [
    "小王",
    "小李",
    "小张",
    "小刘",
    "小陈",
    "小杨",
    "小赵",
    "小黄",
    "小周",
    "小吴",
    "阿梅",
    "阿芳",
    "阿强",
    "阿华",
    "大伟",
    "丽丽",
    "婷婷",
    "静静",
]


@dataclass
class Truth:
    fraud: set[str] = field(default_factory=set)  # invitee keys planted as fraud
    honest: set[str] = field(default_factory=set)


@dataclass
class AbuseEvaluation:
    honest: int
    fraud: int
    false_positives: int  # honest invites refused
    caught: int  # fraud refused
    false_positive_rate: float | None
    recall: float | None


def build(session: Session, *, seed: int = 42, now: datetime | None = None) -> dict[str, object]:
    rng = random.Random(seed + 7)
    at = now or utcnow()
    if service.list_groups(session):
        return {}  # built already (the demo re-runs)
    stores = [loc for loc in inventory.list_locations(session, kind="store") if not loc.franchise][
        :6
    ]
    customers = profile_service.sample_customer_ids(session, limit=600)
    if not stores or len(customers) < 100:
        return {}
    start = at - timedelta(days=60)
    rows: list[dict[str, str]] = []
    chats: dict[str, list[str]] = {}
    for s in stores:
        staff = staff_service.list_staff(session, store_code=s.code)
        owner = staff[0].staff_id if staff else ""
        for n, kind in enumerate(KINDS[: rng.randint(2, 3)]):
            chat = f"wr{s.code}{n}".lower()
            chats.setdefault(s.code, []).append(chat)
            for k in range(rng.randint(40, 150)):
                joined = start + timedelta(minutes=rng.randint(0, 55 * 24 * 60))
                rows.append({
                    "群ID": chat, "群名称": f"{s.name}{KIND_NAME[kind]}", "群主": owner,
                    "成员ID": f"wm{chat}{k:04d}", "成员昵称": rng.choice(NICK),
                    "入群时间": joined.astimezone(CHAIN_TZ).strftime("%Y-%m-%d %H:%M:%S"),
                    "入群方式": rng.choice(["1", "2", "3", "3"]), "邀请人": "", "渠道参数": "",
                    "类型": kind,
                })  # fmt: skip
    from omniretail.operations.community.schemas import ImportMapping

    imported = service.import_rows(
        session, rows=rows, mapping=ImportMapping(kind="类型"), store_code=stores[0].code
    )
    from omniretail.operations.community.models import CommunityGroup

    for s in stores:  # the export's store column is the file's; put each group in its store
        for chat in chats.get(s.code, []):
            g = session.scalar(select(CommunityGroup).where(CommunityGroup.chat_id == chat))
            if g is not None:
                g.store_code = s.code
    quiet = {chats[stores[0].code][-1], chats[stores[-1].code][0]}
    for chat in [c for cs in chats.values() for c in cs]:
        members = service.members(session, chat_id=chat)
        for m in members:
            if rng.random() < 0.08:
                service.leave(
                    session, chat_id=chat, member_key=m.member_key,
                    at=m.joined_at + timedelta(hours=rng.choice([3, 30, 200, 600])),
                )  # fmt: skip
        last = 5 if chat in quiet else 0
        for d in range(30, last, -1):
            day = (at - timedelta(days=d)).astimezone(CHAIN_TZ).date()
            msgs = max(0, int(rng.gauss(40 if chat not in quiet else 8, 12)))
            service.record_day(
                session,
                chat_id=chat,
                day=day,
                messages=msgs,
                speakers=min(msgs, rng.randint(3, 25)),
            )
        if chat not in quiet:
            for m in rng.sample(members, k=len(members) // 3):
                service.record_message(
                    session, chat_id=chat, member_key=m.member_key,
                    at=at - timedelta(hours=rng.randint(1, 24 * 20)),
                )  # fmt: skip
    for s in stores:
        livecode.create_code(
            session,
            data=LiveCodeIn(code=f"LC-{s.code}", name=f"{s.name}社群活码", store_code=s.code,
                            groups=chats[s.code]),
        )  # fmt: skip
    full = stores[1 % len(stores)]  # one code's groups almost full: it asks for a new group
    for i in range(400):
        try:
            livecode.join(
                session, code=f"LC-{full.code}",
                data=JoinIn(member_key=f"wmfill{i:04d}", name=rng.choice(NICK),
                            joined_at=at - timedelta(hours=rng.randint(1, 200))),
            )  # fmt: skip
        except Exception:  # noqa: BLE001 — every group is full: the code asks for one
            break
        if livecode.get_code(session, code=f"LC-{full.code}").needs_group:
            break
    truth = _referral(session, rng, stores[0].code, customers, at)
    checkins = _checkins(session, rng, customers[:60], at)
    ev = evaluate(session, truth)
    return {
        "groups": imported.groups,
        "members": imported.members,
        "invites": len(truth.fraud) + len(truth.honest),
        "checkins": checkins,
        "false_positive_rate": ev.false_positive_rate,
        "recall": ev.recall,
    }


def _referral(
    session: Session,
    rng: random.Random,
    store: str,
    customers: list[str],
    at: datetime,
) -> Truth:
    from omniretail.operations.community.schemas import GroupIn

    chats = []
    for i in range(3):
        chat = f"wrfission{i}"
        service.upsert_group(
            session,
            data=GroupIn(chat_id=chat, name=f"邀好友进群领积分 {i + 1} 群", store_code=store,
                         kind="marketing", created_at=at - timedelta(days=9)),
        )  # fmt: skip
        chats.append(chat)
        for d in range(7, 0, -1):
            day = (at - timedelta(days=d)).astimezone(CHAIN_TZ).date()
            msgs = rng.randint(20, 90)
            service.record_day(session, chat_id=chat, day=day, messages=msgs, speakers=msgs // 4)
    livecode.create_code(
        session, data=LiveCodeIn(code="FISSION-DEC", name="12 月裂变活码", store_code=store,
                                 campaign="FISSION-DEC", groups=chats),
    )  # fmt: skip
    t0 = at - timedelta(days=8)
    referral.create_campaign(
        session,
        data=CampaignIn(code="FISSION-DEC", title="邀好友进群领积分", live_code="FISSION-DEC",
                        reward_points=50, starts_at=t0, ends_at=at + timedelta(days=7)),
    )  # fmt: skip
    truth = Truth()
    pool = iter(customers[100:])
    n = 0

    def join(key: str, cust: str | None, phone: str, device: str, inviter: str | None,
             when: datetime) -> None:  # fmt: skip
        livecode.join(
            session, code="FISSION-DEC",
            data=JoinIn(member_key=key, customer_id=cust, name=rng.choice(NICK), phone=phone,
                        device=device, inviter_key=inviter, joined_at=when),
        )  # fmt: skip

    people: dict[str, tuple[str | None, str, str]] = {}
    frontier = []
    for i in range(25):  # seed members: customers who start inviting
        key, seed_cust = f"wmseed{i:03d}", next(pool)
        people[key] = (seed_cust, f"1370000{i:04d}", f"dev-seed-{i}")
        join(key, seed_cust, *people[key][1:], None, t0 + timedelta(hours=i))
        frontier.append((key, 0))
    while frontier:
        inviter, depth = frontier.pop(0)
        shares = rng.randint(2, 8) if depth < 3 else 0
        if not shares:
            continue
        referral.record_shares(session, campaign="FISSION-DEC", member_key=inviter, count=shares)
        for _ in range(sum(rng.random() < 0.35 for _ in range(shares))):
            n += 1
            key = f"wmfr{n:04d}"
            friend: str | None = next(pool, None)
            when = t0 + timedelta(hours=rng.randint(depth * 24 + 1, depth * 24 + 48))
            if when > at - timedelta(hours=1):
                continue
            device = f"dev-{key}"
            if rng.random() < 0.03:  # a family tablet the inviter also used: honest
                device = people[inviter][2]
            people[key] = (friend, f"1380000{n:04d}", device)
            join(key, friend, people[key][1], device, inviter, when)
            truth.honest.add(key)
            if rng.random() < 0.04:  # an honest friend who leaves the same day
                service.leave(session, chat_id=_chat_of(session, key), member_key=key,
                              at=when + timedelta(hours=rng.randint(1, 20)))  # fmt: skip
            if rng.random() < 0.5:
                frontier.append((key, depth + 1))
    # seeded fraud
    seeds = [k for k in people if k.startswith("wmseed")]
    farm_device = "dev-farm-001"
    for i in range(40):
        inviter = rng.choice(seeds)
        owner_cust, phone, device = people[inviter]
        when = t0 + timedelta(hours=rng.randint(30, 150))
        key = f"wmfake{i:03d}"
        kind = i % 4
        if kind == 0:  # the inviter's second account (same customer)
            join(key, owner_cust, f"1500000{i:04d}", f"dev-{key}", inviter, when)
        elif kind == 1:  # an account on the inviter's phone
            join(key, None, phone, f"dev-{key}", inviter, when)
        elif kind == 2:  # a device farm
            join(key, None, f"1510000{i:04d}", farm_device, inviter, when)
        else:  # join for the reward, leave at once
            join(key, None, f"1520000{i:04d}", f"dev-{key}", inviter, when)
            service.leave(session, chat_id=_chat_of(session, key), member_key=key,
                          at=when + timedelta(minutes=rng.randint(5, 300)))  # fmt: skip
        truth.fraud.add(key)
    referral.settle(session, now=at)
    return truth


def _chat_of(session: Session, key: str) -> str:
    from omniretail.operations.community.models import CommunityGroup, GroupMember

    chat = session.scalar(
        select(CommunityGroup.chat_id)
        .join(GroupMember, GroupMember.group_id == CommunityGroup.id)
        .where(GroupMember.member_key == key)
    )
    assert chat is not None
    return chat


def evaluate(session: Session, truth: Truth) -> AbuseEvaluation:
    """The abuse rules against the planted truth, over the invites already decided."""
    decided = {
        i.invitee_key: i.status
        for i in session.scalars(select(Invite).where(Invite.status != "pending"))
    }
    honest = [k for k in truth.honest if k in decided]
    fraud = [k for k in truth.fraud if k in decided]
    fp = sum(decided[k] == "refused" for k in honest)
    caught = sum(decided[k] == "refused" for k in fraud)
    return AbuseEvaluation(
        honest=len(honest),
        fraud=len(fraud),
        false_positives=fp,
        caught=caught,
        false_positive_rate=round(fp / len(honest), 4) if honest else None,
        recall=round(caught / len(fraud), 4) if fraud else None,
    )


def _checkins(session: Session, rng: random.Random, customers: list[str], at: datetime) -> int:
    n = 0
    today: date = at.astimezone(CHAIN_TZ).date()
    for i, cust in enumerate(customers):
        habit = rng.choice([0.3, 0.6, 0.9])
        for d in range(14, -1, -1):
            if rng.random() > habit:
                continue
            day = today - timedelta(days=d)
            when = datetime.combine(day, datetime.min.time(), tzinfo=CHAIN_TZ) + timedelta(
                hours=rng.randint(7, 22)
            )
            if when > at:
                continue
            checkin.check_in(
                session, data=CheckInIn(member_key=f"wmcheck{i:03d}", customer_id=cust, at=when)
            )
            n += 1
    return n
