"""Group-buying KPIs per activity and per leader: orders, GMV (paid less refunded, fen),
成团率 (activities decided formed / decided), coupon redemption of the activity's coupon
template, pickup no-show rate (no-shows / (collected + no-shows)), and the leader ranking by
GMV. One grouped query per table; no per-order loops."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from omniretail.marketing.coupon import service as coupon_service
from omniretail.operations.groupbuy import ledger
from omniretail.operations.groupbuy.models import Activity, ActivityLeader, GroupOrder, Leader
from omniretail.operations.groupbuy.schemas import ActivityKpi, GroupBuyKpis, LeaderKpi
from omniretail.platform.errors import NotFound

COUNTED = ("paid", "formed", "ready", "picked_up", "no_show")  # orders that were real sales
SOLD = ("paid", "formed", "ready", "picked_up")  # their net amount is GMV (no-shows refunded)


def _rate(num: int, den: int) -> float | None:
    return round(num / den, 4) if den else None


def kpis(session: Session, *, store_codes: list[str] | None = None) -> GroupBuyKpis:
    leaders = {
        ld.id: ld
        for ld in session.scalars(select(Leader).where(Leader.status.in_(("active", "suspended"))))
        if store_codes is None or ld.store_code in store_codes
    }
    net = GroupOrder.amount_fen - GroupOrder.refunded_fen
    gmv = func.sum(case((GroupOrder.status.in_(SOLD), net), else_=0))
    counted = func.sum(case((GroupOrder.status.in_(COUNTED), 1), else_=0))
    picked = func.sum(case((GroupOrder.status == "picked_up", 1), else_=0))
    noshow = func.sum(case((GroupOrder.status == "no_show", 1), else_=0))
    placed = func.count()
    rows = session.execute(
        select(
            GroupOrder.activity_id, GroupOrder.leader_id, counted, gmv, picked, noshow, placed
        ).group_by(GroupOrder.activity_id, GroupOrder.leader_id)
    ).all()
    acts = {a.id: a for a in session.scalars(select(Activity).order_by(Activity.cutoff_at.desc()))}
    per_act: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    per_leader: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for aid, lid, n, g, p, ns, all_ in rows:
        if lid not in leaders:
            continue
        for acc, first in ((per_act[aid], int(all_ or 0)), (per_leader[lid], int(n or 0))):
            acc[0] += first  # an activity counts every order placed, a leader real sales
            acc[1] += int(g or 0)
            acc[2] += int(p or 0)
            acc[3] += int(ns or 0)
    taking = session.execute(select(ActivityLeader.activity_id, ActivityLeader.leader_id)).all()
    leaders_of: dict[int, set[int]] = defaultdict(set)
    acts_of: dict[int, set[int]] = defaultdict(set)
    for aid, lid in taking:
        if lid in leaders:
            leaders_of[aid].add(lid)
            acts_of[lid].add(aid)
    activity_rows: list[ActivityKpi] = []
    for aid, a in acts.items():
        if not leaders_of.get(aid):
            continue
        n, g, p, ns = per_act[aid]
        issued = redeemed = None
        if a.coupon_template:
            try:
                liab = coupon_service.liability(session, template_code=a.coupon_template)
                issued, redeemed = int(liab["issued"]), int(liab["redeemed"])
            except NotFound:
                pass
        activity_rows.append(
            ActivityKpi(
                activity=a.code,
                title=a.title,
                status=a.status,
                orders=n,
                gmv_fen=g,
                leaders=len(leaders_of[aid]),
                formed=None if a.status == "open" else a.status == "formed",
                coupon_issued=issued,
                coupon_redeemed=redeemed,
                coupon_redemption_rate=_rate(redeemed or 0, issued or 0) if issued else None,
                picked_up=p,
                no_show=ns,
                no_show_rate=_rate(ns, p + ns),
            )
        )
    leader_rows: list[LeaderKpi] = []
    for lid, ld in leaders.items():
        n, g, p, ns = per_leader[lid]
        decided = [acts[a] for a in acts_of.get(lid, set()) if acts[a].status != "open"]
        bal = ledger.balances(session, lid)
        leader_rows.append(
            LeaderKpi(
                rank=0,
                leader=ld.code,
                name=ld.name,
                store_code=ld.store_code,
                tier=ld.tier,
                orders=n,
                gmv_fen=g,
                activities=len(acts_of.get(lid, set())),
                formed_rate=_rate(sum(a.status == "formed" for a in decided), len(decided)),
                no_show_rate=_rate(ns, p + ns),
                commission_fen=bal["pending"]
                + bal["frozen"]
                + bal["available"]
                + bal["withdrawn"]
                - bal["debt"],
            )
        )
    leader_rows.sort(key=lambda r: (-r.gmv_fen, -r.orders, r.leader))
    for i, r in enumerate(leader_rows, 1):
        r.rank = i
    decided_acts = [a for a in activity_rows if a.formed is not None]
    return GroupBuyKpis(
        activities=activity_rows,
        leaders=leader_rows,
        formed_rate=_rate(sum(bool(a.formed) for a in decided_acts), len(decided_acts)),
    )
