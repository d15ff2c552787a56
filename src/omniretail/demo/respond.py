"""Close a campaign's loop in a demo instance: its members respond as the demo world says.

After a campaign is launched and its messages sent, ``respond_to_campaign`` plays the days after
the launch with the demo world's ground-truth response model (``demo.truth.simulate_response``):

1. each member (treatment and holdout) is mapped back to a demo-world person through the
   published ``identity_map`` and the world's ``truth/identity_truth.parquet`` (the person
   holding most of the customer's records);
2. each person's orders and spend in the window are drawn; a treatment member counts as
   treated only when the campaign's message was sent to them, and the offer is worth the face
   value of the coupon they hold (0 for content only);
3. the orders are written as the retailer's own channels export them (POS tickets, mini-program
   and app orders, with the customer's own member card, openid or app member id) and landed
   with the world's mappings through the bulk import — the real path for new orders (the
   events API carries behaviour, not orders);
4. a treated member's first order uses their coupon through the coupon service's validate and
   redeem (what the POS API calls), at the order's time; a coupon that does not apply (minimum
   spend, expired) is not used and the reason is counted.

Orders of members with no record in an own channel (platform buyers, followers only) cannot
come back through these exports: they are counted as ``orders_lost`` and their members do not
respond in either arm. The whole response is one transaction and is recorded in the audit log;
a campaign is responded to once.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy import select
from sqlalchemy.orm import Session

from omniretail.cdp.ingest import service as ingest_service
from omniretail.demo.respond_files import OWN_CHANNELS, Line, Order, write_orders
from omniretail.demo.truth import simulate_response, true_effect
from omniretail.marketing.campaign import service as campaign_service
from omniretail.marketing.campaign.models import Campaign, CampaignMember
from omniretail.marketing.coupon import redemption
from omniretail.marketing.coupon import service as coupon_service
from omniretail.marketing.coupon.basket import Basket, BasketLine
from omniretail.marketing.coupon.models import Coupon
from omniretail.platform import audit
from omniretail.platform.auth.models import AuditLog
from omniretail.platform.config import Settings, get_settings
from omniretail.platform.engine.base import AnalyticsEngine
from omniretail.platform.errors import Conflict, InvalidInput
from omniretail.platform.messaging import service as messaging

ACTION = "demo.respond"
# The campaign report's window is [launch, launch + window_days) in local wall-clock time, the
# time of ``ordered_at``; orders are kept just inside its end.
END_MARGIN = timedelta(minutes=1)
CENT = Decimal("0.01")


class NotADemoInstance(Conflict):
    title = "Not a demo instance"


class CampaignNotLaunched(Conflict):
    title = "Campaign not launched"


class MessagesNotSent(Conflict):
    title = "Campaign messages not sent"


class AlreadyResponded(Conflict):
    title = "Campaign already responded to"


class RespondInvalid(InvalidInput):
    title = "Invalid response request"


@dataclass
class Member:
    customer_id: str
    arm: str
    store_code: str | None
    person_id: str | None = None
    persons: int = 0  # distinct persons among the customer's records (>1: merged)
    records: list[tuple[str, str]] = field(default_factory=list)  # own-channel (source, id)
    reached: bool = False
    coupon: str | None = None
    offer_value: float = 0.0


def world_dir(settings: Settings | None = None, world: Path | None = None) -> Path:
    settings = settings or get_settings()
    return world or settings.home / "demo-world"


def check_demo_instance(settings: Settings, world: Path) -> None:
    if not settings.demo:
        raise NotADemoInstance(
            "this is not a demo instance (OMNIRETAIL_DEMO is not set): simulated responses "
            "are only written into demo data",
            field="instance",
        )
    needed = [world / "world.json", world / "truth" / "identity_truth.parquet"]
    needed += [world / "truth" / "offer_response.parquet", world / "mappings"]
    missing = [str(p.relative_to(world)) for p in needed if not p.exists()]
    if missing:
        raise NotADemoInstance(
            f"no demo world in {world.name}/ (missing {', '.join(missing)}): "
            "build the instance with `omniretail demo`",
            field="world",
        )


def responded(session: Session, code: str) -> AuditLog | None:
    return session.scalar(
        select(AuditLog).where(AuditLog.action == ACTION, AuditLog.object_id == code).limit(1)
    )


def _members(session: Session, c: Campaign) -> dict[str, Member]:
    rows = session.execute(
        select(CampaignMember.customer_id, CampaignMember.arm, CampaignMember.store_code)
        .where(CampaignMember.campaign_id == c.id)
        .order_by(CampaignMember.run, CampaignMember.customer_id)
    )
    out: dict[str, Member] = {}
    for cid, arm, store in rows:
        out.setdefault(cid, Member(customer_id=cid, arm=arm, store_code=store))
    return out


def _reach_and_offers(session: Session, c: Campaign, members: dict[str, Member]) -> None:
    queued = sum(messaging.status_counts(session, campaign_id=c.id).values())
    sent = messaging.reached_customers(session, campaign_id=c.id)
    if queued and not sent:
        raise MessagesNotSent(
            f"none of campaign {c.code!r}'s messages has been sent yet: run "
            "`omniretail campaign dispatch` first",
            field="campaign",
        )
    coupons = session.execute(
        select(Coupon.customer_id, Coupon.code, Coupon.template_id).where(
            (Coupon.campaign_id == c.code) | Coupon.campaign_id.like(f"{c.code}:%"),
            Coupon.status == "issued",
        )
    ).all()
    face: dict[int, float] = {}
    for t in coupon_service.list_templates(session):
        face[t.id] = float(t.face_value or 0)
    held = {cid: (code, face.get(tid, 0.0)) for cid, code, tid in coupons}
    for m in members.values():
        m.reached = m.arm == "treatment" and m.customer_id in sent
        if m.reached and m.customer_id in held:
            m.coupon, m.offer_value = held[m.customer_id]


def _map_persons(engine: AnalyticsEngine, world: Path, members: dict[str, Member]) -> None:
    """The demo-world person behind each member, and the member's own-channel records."""
    con = getattr(engine, "con", None)
    if con is None or not engine.table_exists("identity_map"):
        raise NotADemoInstance(
            "the published snapshot has no identity map: run `omniretail pipeline run`",
            field="snapshot",
        )
    truth = pq.read_table(world / "truth" / "identity_truth.parquet").select(
        ["source", "source_record_id", "person_id"]
    )
    con.register("respond_truth", truth)
    con.register("respond_members", pa.table({"customer_id": pa.array(list(members), pa.string())}))
    try:
        rows = con.execute(
            """
            SELECT m.customer_id, t.source, t.source_record_id, t.person_id
            FROM identity_map m
            JOIN respond_members x ON x.customer_id = m.customer_id
            JOIN respond_truth t ON m.record_key = t.source || ':' || t.source_record_id
            WHERE t.person_id IS NOT NULL
            ORDER BY 1, 2, 3
            """
        ).fetchall()
    finally:
        con.unregister("respond_truth")
        con.unregister("respond_members")
    by_customer: dict[str, list[tuple[str, str, str]]] = {}
    for cid, source, rid, pid in rows:
        by_customer.setdefault(str(cid), []).append((str(source), str(rid), str(pid)))
    for cid, recs in by_customer.items():
        counts = Counter(pid for _, _, pid in recs)
        person = min(counts, key=lambda p: (-counts[p], p))
        m = members[cid]
        m.person_id, m.persons = person, len(counts)
        m.records = [(s, r) for s, r, p in recs if p == person and s in OWN_CHANNELS]


def _catalog(engine: AnalyticsEngine) -> tuple[list[dict[str, Any]], list[str]]:
    products = engine.fetch_rows(
        "SELECT sku, name, category_code, CAST(price AS VARCHAR) AS price FROM dim_product "
        "WHERE price > 0 ORDER BY sku"
    )
    stores = [str(r["store_code"]) for r in engine.fetch_rows("SELECT store_code FROM dim_store")]
    if not products or not stores:
        raise NotADemoInstance("the published snapshot has no products or stores", field="snapshot")
    return products, sorted(stores)


def _basket(
    rng: np.random.Generator, products: list[dict[str, Any]], prices: np.ndarray, target: Decimal
) -> list[Line]:
    """Catalogue items adding up to at least ``target`` at list price, overshooting little."""
    lines: dict[str, Line] = {}
    total = Decimal("0")
    while total < target or not lines:
        left = float(target - total)
        pick = rng.integers(0, len(products), size=24)
        fits = pick[prices[pick] <= left]
        # nothing fits what is left: the cheapest candidate closes the basket
        i = int(rng.choice(fits)) if len(fits) else int(pick[np.argmin(prices[pick])])
        p = products[i]
        sku = str(p["sku"])
        if sku in lines:
            lines[sku].quantity += 1
        else:
            lines[sku] = Line(sku, str(p["name"]), p["category_code"], 1, Decimal(p["price"]))
        total += Decimal(p["price"])
    return list(lines.values())


def _spread(lines: list[Line], discount: Decimal) -> None:
    """Allocate an order's discount over its lines in proportion to their value (cents)."""
    gross = sum((ln.gross for ln in lines), Decimal("0"))
    left = discount
    for ln in sorted(lines, key=lambda x: x.gross)[:-1]:
        part = (discount * ln.gross / gross).quantize(CENT, ROUND_HALF_UP) if gross else CENT * 0
        ln.discount = min(part, ln.gross, left)
        left -= ln.discount
    max(lines, key=lambda x: x.gross).discount = left


def _split(rng: np.random.Generator, spend: float, n: int) -> list[Decimal]:
    """A member's spend split over their orders (iid Gamma orders sum to the Gamma total)."""
    total = Decimal(str(spend)).quantize(CENT)
    if n == 1:
        return [total]
    shares = rng.dirichlet(np.full(n, 4.0))
    parts = [Decimal(str(round(spend * s, 2))).quantize(CENT) for s in shares[:-1]]
    return [*parts, total - sum(parts, Decimal("0"))]


def _true_effect(
    session: Session, c: Campaign, offer_table: pa.Table, members: dict[str, Member], days: int
) -> dict[str, Any]:
    """What the report should find: the audience's average true uplift (per member) from the
    offer, counting only members whose orders can come back (routable) and scaled by the
    share of the treatment arm the message reached (a holdout member's offer is the
    campaign's own coupon)."""
    treat = [m for m in members.values() if m.arm == "treatment"]
    reach = sum(m.reached for m in treat) / len(treat) if treat else 0.0
    own = 0.0
    if c.offer_template:
        template = coupon_service.get_template(session, code=c.offer_template)
        own = float(template.face_value or 0)
    conv = spend = 0.0
    values = {
        m.customer_id: (m.offer_value if m.arm == "treatment" else own) for m in members.values()
    }
    for value in sorted(set(values.values())):
        group = [
            m
            for m in members.values()
            if values[m.customer_id] == value and m.person_id and m.records
        ]
        if not group or value <= 0:
            continue
        eff = true_effect(
            offer_table, [m.person_id or "" for m in group], offer_value=value, window_days=days
        )
        factor = np.array([m.reached if m.arm == "treatment" else reach for m in group], float)
        conv += float((eff.column("uplift_probability").to_numpy() * factor).sum())
        spend += float((eff.column("uplift_spend").to_numpy() * factor).sum())
    n = len(members)
    return {
        "conversion_lift": round(conv / n, 6),
        "revenue_per_member_lift": round(spend / n, 4),
        "reach": round(reach, 4),
        "offer_value": own,
    }


def respond_to_campaign(
    session: Session,
    engine: AnalyticsEngine,
    *,
    code: str,
    days: int | None = None,
    seed: int = 0,
    world: Path | None = None,
    settings: Settings | None = None,
    actor: str = "demo",
) -> dict[str, Any]:
    """Draw the campaign members' response, land their orders and redeem their coupons."""
    settings = settings or get_settings()
    wdir = world_dir(settings, world)
    check_demo_instance(settings, wdir)
    c = campaign_service.get_campaign(session, code=code)
    if c.launched_at is None:
        raise CampaignNotLaunched(
            f"campaign {code!r} has not been launched: launch it and send its messages first",
            field="campaign",
        )
    if responded(session, code) is not None:
        raise AlreadyResponded(
            f"campaign {code!r} has already been responded to in this demo; nothing was applied",
            field="campaign",
        )
    days = c.window_days if days is None else days
    if not 1 <= days <= c.window_days:
        raise RespondInvalid(
            f"days must be between 1 and the campaign's attribution window ({c.window_days})",
            field="days",
        )
    members = _members(session, c)
    if not members:
        raise CampaignNotLaunched(f"campaign {code!r} has no members", field="campaign")
    _reach_and_offers(session, c, members)
    _map_persons(engine, wdir, members)
    mapped = [m for m in members.values() if m.person_id is not None]
    if not mapped:
        raise NotADemoInstance(
            f"none of campaign {code!r}'s customers comes from the demo world in {wdir.name}/",
            field="world",
        )
    products, stores = _catalog(engine)
    prices = np.array([float(p["price"]) for p in products])
    launched = c.launched_at if c.launched_at.tzinfo else c.launched_at.replace(tzinfo=UTC)
    span = timedelta(days=days) - END_MARGIN
    rng = np.random.default_rng(seed)

    offer_table = pq.read_table(wdir / "truth" / "offer_response.parquet")
    drawn: dict[str, tuple[int, float]] = {}
    for value in sorted({m.offer_value for m in mapped}):
        group = [m for m in mapped if m.offer_value == value]
        out = simulate_response(
            offer_table,
            [m.person_id or "" for m in group],
            [m.reached for m in group],
            offer_value=value,
            window_days=days,
            rng=rng,
        )
        n_orders = out.column("orders").to_pylist()
        spends = out.column("spend").to_pylist()
        for k, m in enumerate(group):
            drawn[m.customer_id] = (int(n_orders[k]), float(spends[k]))
    truth = _true_effect(session, c, offer_table, members, days)
    orders: list[Order] = []
    lost = 0
    refused: Counter[str] = Counter()
    redeemed = 0
    coupon_discount = Decimal("0")
    for m in sorted(mapped, key=lambda x: x.customer_id):
        n, spend = drawn[m.customer_id]
        if n == 0:
            continue
        if not m.records:
            lost += n
            continue
        times = sorted(launched + span * float(x) for x in rng.random(n))
        for j, (paid, at) in enumerate(zip(_split(rng, spend, n), times, strict=True)):
            source, record = m.records[int(rng.integers(len(m.records)))]
            store = None
            if source == "pos":
                store = m.store_code if m.store_code in stores else str(rng.choice(stores))
            order = Order(
                source=source,
                order_id=f"DR-{code[:40]}-{len(orders) + 1:06d}",
                customer_id=m.customer_id,
                record_id=record,
                store_code=store,
                at=at,
                lines=[],
            )
            use = m.coupon if j == 0 else None
            extra = Decimal(str(m.offer_value)).quantize(CENT) if use else Decimal("0")
            order.lines = _basket(rng, products, prices, paid + extra)
            discount = Decimal("0")
            if use:
                basket = Basket(
                    customer_id=m.customer_id,
                    store_code=store,
                    channel_code=source,
                    lines=[
                        BasketLine(
                            sku=ln.sku,
                            quantity=ln.quantity,
                            unit_price=ln.unit_price,
                            category_code=ln.category,
                        )
                        for ln in order.lines
                    ],
                )
                check = redemption.validate(session, code=use, basket=basket, now=at)
                if check.valid:
                    res = redemption.redeem(
                        session, code=use, order_id=order.order_id, basket=basket, now=at
                    )
                    discount = res.discount + res.shipping_off
                    order.coupon_code = res.code
                    redeemed += 1
                    coupon_discount += discount
                else:
                    refused[check.reason or "invalid"] += 1
            gross = sum((ln.gross for ln in order.lines), Decimal("0"))
            _spread(order.lines, max(gross - paid, discount))
            orders.append(order)

    files = write_orders(settings.home / "demo-responses" / code, orders)
    imported = []
    for source, path in files.items():
        mapping = wdir / "mappings" / OWN_CHANNELS[source][0]
        landed = ingest_service.import_with_mapping_file(
            session, source=source, mapping_path=mapping, files=[path]
        )
        imported += [r.as_dict() for r in landed]
    by_source = Counter(o.source for o in orders)
    treat = [m for m in members.values() if m.arm == "treatment"]
    summary: dict[str, Any] = {
        "campaign": code,
        "days": days,
        "seed": seed,
        "members": len(members),
        "treatment": len(treat),
        "holdout": len(members) - len(treat),
        "mapped": len(mapped),
        "merged_customers": sum(1 for m in mapped if m.persons > 1),
        "routable": sum(1 for m in mapped if m.records),
        "reached": sum(1 for m in members.values() if m.reached),
        "responders": sum(1 for m in mapped if m.records and drawn[m.customer_id][0] > 0),
        "orders": len(orders),
        "orders_by_channel": dict(sorted(by_source.items())),
        "orders_lost": lost,
        "revenue": float(sum((o.paid for o in orders), Decimal("0"))),
        "coupons_redeemed": redeemed,
        "coupon_discount": float(coupon_discount),
        "coupons_not_applicable": dict(refused),
        "imported": imported,
        "true_effect": truth,
    }
    audit.record(
        session,
        actor=actor,
        action=ACTION,
        object_type="campaign",
        object_id=code,
        detail={k: v for k, v in summary.items() if k != "imported"},
    )
    return summary
