"""Live sessions of the demo world, built in the operational store after the pipeline: four
sessions in October 2026 on Douyin, Kuaishou, WeChat Channels and Xiaohongshu (a note), each
with its own coupon batch pushed to viewers, and a second note recorded without an end (the
console flags it and attributes nothing to it); the platforms' viewer exports; viewers
claiming the coupons in the stream and redeeming them in their stores in the following days.
The orders each session brought are in the world's exports already (demo/live_orders.py: the
live room of Douyin, Kuaishou and mini-program orders, the note's 口令 typed before an order),
so the sessions' orders and GMV come from the pipeline's unified orders.

Everything goes through the services (coupon issue and redemption, the viewer import), at a
fixed seed; building twice adds nothing."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from omniretail.cdp.profile import service as profile_service
from omniretail.demo.live_orders import SESSIONS, session_code
from omniretail.marketing.coupon import redemption
from omniretail.marketing.coupon import service as coupon_service
from omniretail.marketing.coupon.basket import Basket, BasketLine
from omniretail.marketing.coupon.errors import TemplateNotFound
from omniretail.marketing.coupon.schemas import TemplateCreate
from omniretail.marketing.live import service as live_service
from omniretail.marketing.live.schemas import LiveSessionCreate
from omniretail.omnichannel.store import service as store_service
from omniretail.platform.errors import DomainError


def build(session: Session, *, seed: int = 42) -> dict[str, int]:
    existing = {s["code"] for s in live_service.list_sessions(session)}
    if SESSIONS[0][0] in existing:
        return {"sessions": 0, "coupons": 0, "redeemed": 0}
    rng = random.Random(seed)
    customers = profile_service.sample_customer_ids(session, limit=400)
    stores = [s.code for s in store_service.list_stores(session, kind="direct")]
    if not customers or not stores:
        return {"sessions": 0, "coupons": 0, "redeemed": 0}
    issued = redeemed = 0
    export = ["场次编码,观看人数,最高在线,点赞,评论,分享,新增关注"]
    for code, platform, account, host, title, start, hours, viewers, cost in SESSIONS:
        batch = f"{code}-20OFF"
        end = None if hours is None else start + timedelta(hours=hours)
        _template(session, batch, start)
        live_service.create_session(
            session,
            data=LiveSessionCreate(
                code=code,
                kind="note" if platform == "xiaohongshu" else "live",
                platform=platform,
                account=account,
                host=host,
                title=title,
                started_at=start,
                ended_at=end,
                codes=[session_code(code, start)],
                link_params=[f"live_id={code}"],
                coupon_batches=[batch],
                cost_fen=cost * 100,
            ),  # fmt: skip
        )
        export.append(
            f"{code},{viewers},{viewers // 9},{viewers * 3},{viewers // 20},"
            f"{viewers // 60},{viewers // 40}"
        )
        claimers = rng.sample(customers, min(len(customers), max(20, viewers // 400)))
        for i, cid in enumerate(claimers):
            at = start + timedelta(minutes=10 + 2 * i % 150)
            try:
                c = coupon_service.issue(
                    session, template_code=batch, customer_id=cid, source="claim", now=at
                )
            except DomainError:
                continue
            issued += 1
            if rng.random() < 0.35:  # used in a store in the next days
                when = at + timedelta(days=rng.randint(1, 12), hours=rng.randint(0, 8))
                basket = Basket(
                    customer_id=cid, store_code=rng.choice(stores), channel_code="pos",
                    lines=[BasketLine(sku="LIVE-DEMO", quantity=2, unit_price=Decimal("68.00"))],
                )  # fmt: skip
                try:
                    redemption.redeem(
                        session, code=c.code, order_id=f"POS-{code}-{i:04d}", basket=basket,
                        now=when,
                    )  # fmt: skip
                    redeemed += 1
                except DomainError:
                    pass
    live_service.import_viewers(session, text="\n".join(export) + "\n")
    return {"sessions": len(SESSIONS), "coupons": issued, "redeemed": redeemed}


def _template(session: Session, code: str, start: datetime) -> Any:
    try:
        return coupon_service.get_template(session, code=code)
    except TemplateNotFound:
        return coupon_service.create_template(
            session,
            data=TemplateCreate(
                code=code,
                name="直播专享 满100减20",
                name_en="Live: 20 off 100",
                kind="spend_save",
                rules={"tiers": [{"spend": "100", "save": "20"}]},
                valid_from=start - timedelta(hours=1),
                valid_until=start + timedelta(days=30),
                face_value=Decimal("20"),
                per_customer_limit=1,
            ),  # fmt: skip
        )
