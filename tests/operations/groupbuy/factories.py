"""A small group-buying world: two stores with stock, the groupbuy channel, three leaders
(two active at S1 and S2, one applicant), a 5% default commission rule and a 10% one for nuts
at gold leaders' orders."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from omniretail.omnichannel.channel import service as channel_service
from omniretail.omnichannel.channel.schemas import ChannelCreate
from omniretail.omnichannel.inventory import service as inventory
from omniretail.operations.groupbuy import service
from omniretail.operations.groupbuy.schemas import (
    ActivityCreate,
    LeaderApply,
    LeaderDecision,
    RuleIn,
)
from tests.omnichannel.factories import retail_world


def groupbuy_world(session: Session, *, stock: int = 50, leaders: bool = True) -> None:
    retail_world(session)
    channel_service.upsert_channels(
        session, channels=[ChannelCreate(code="groupbuy", name="社区团购", kind="online")]
    )
    for store in ("S1", "S2"):
        for sku in ("A1", "A2"):
            inventory.receive(
                session, location=store, sku=sku, quantity=stock, key=f"init:{store}:{sku}"
            )
    if not leaders:
        session.flush()
        return
    for code, name, store in (("L1", "王阿姨", "S1"), ("L2", "张姐", "S2"), ("L3", "刘哥", "S1")):
        service.apply_leader(
            session,
            data=LeaderApply(
                code=code,
                name=name,
                store_code=store,
                point_name=f"{name}便利店",
                address=f"武汉市江汉区{name}小区 1 栋",
                latitude=30.58,
                longitude=114.29,
                capacity=50,
            ),
        )
    service.decide_leader(session, code="L1", data=LeaderDecision(approve=True))
    service.decide_leader(session, code="L2", data=LeaderDecision(approve=True, tier="gold"))
    service.set_rule(session, data=RuleIn(scope="default", kind="rate", value=500))
    service.set_rule(session, data=RuleIn(scope="tier", key="gold", kind="rate", value=1000))
    session.flush()


def activity_in(code: str, now: datetime, *, min_orders: int = 2, **kw: object) -> ActivityCreate:
    data: dict[str, object] = {
        "code": code,
        "title": f"周末坚果团 {code}",
        "items": [
            {"sku": "A1", "group_price_fen": 3990, "hold_per_leader": 10},
            {"sku": "A2", "group_price_fen": 1990, "hold_per_leader": 10},
        ],
        "leaders": ["L1", "L2"],
        "min_orders": min_orders,
        "cutoff_at": now + timedelta(hours=2),
        "pickup_from": now + timedelta(days=1),
        "pickup_until": now + timedelta(days=3),
    }
    data.update(kw)
    return ActivityCreate.model_validate(data)
