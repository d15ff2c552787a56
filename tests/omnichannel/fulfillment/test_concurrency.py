"""On PostgreSQL: 1,000 concurrent verifications of one pickup code hand over exactly once;
concurrent returns of one line never exceed what was sold."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from omniretail.omnichannel.fulfillment import codes, returns
from omniretail.omnichannel.fulfillment import service as ful
from omniretail.omnichannel.fulfillment.errors import FulfilmentError
from omniretail.omnichannel.fulfillment.models import FulfilmentEvent
from omniretail.omnichannel.fulfillment.schemas import FulfilmentCreate, OrderLineIn, ReturnCreate
from omniretail.omnichannel.fulfillment.schemas import ReturnLineIn as RL
from omniretail.omnichannel.inventory import service as inv
from omniretail.omnichannel.inventory.errors import InventoryError
from tests.omnichannel.inventory.factories import world

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


def run(n_threads: int, per_thread: int, work: object) -> None:
    threads = [threading.Thread(target=work, args=(t, per_thread)) for t in range(n_threads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def test_one_code_many_verifications(pg_factory: sessionmaker[Session]) -> None:
    with pg_factory() as s:
        world(s)
        [f] = ful.place(
            s,
            data=FulfilmentCreate(
                order_ref="WX9",
                channel="miniprogram",
                customer_id="C1",
                mode="pickup",
                pickup_store="S1",
                lines=[OrderLineIn(line_ref="l1", sku="SKU1", quantity=2)],
            ),
        )
        ful.start_picking(s, fulfilment_id=f.id)
        ful.mark_ready(s, fulfilment_id=f.id)
        code = codes.current(s, fulfilment_id=f.id)
        assert code is not None
        s.commit()
    outcomes: Counter[str] = Counter()
    lock = threading.Lock()

    def work(t: int, n: int) -> None:
        with pg_factory() as s:
            for i in range(n):
                try:
                    out = codes.verify(
                        s, store_code="S1", code=code.code, terminal=f"T{t}-{i // 4}"
                    )
                    s.commit()
                    key = "ok" if out.ok else str(out.reason)
                except FulfilmentError as e:
                    s.rollback()
                    key = type(e).__name__
                with lock:
                    outcomes[key] += 1

    run(20, 50, work)
    assert sum(outcomes.values()) == 1000
    assert outcomes["ok"] == 1, outcomes
    with pg_factory() as s:
        handovers = s.scalar(select(func.count()).where(FulfilmentEvent.event == "hand_over"))
        assert handovers == 1
        assert ful.get(s, fulfilment_id=f.id).state == "picked_up"
        lv = inv.get_level(s, location="S1", sku="SKU1")
        assert (lv.on_hand, lv.reserved) == (8, 0)
        assert inv.verify(s) == []


def test_concurrent_returns_never_exceed_sold(pg_factory: sessionmaker[Session]) -> None:
    with pg_factory() as s:
        world(s)
        returns.record_sale(
            s,
            order_ref="O1",
            channel="pos",
            customer_id="C1",
            tender="cash",
            lines=[("O1-1", "SKU1", 5, 100)],
        )
        s.commit()
    ok = Counter[str]()
    lock = threading.Lock()

    def work(t: int, n: int) -> None:
        with pg_factory() as s:
            for i in range(n):
                try:
                    returns.create_return(
                        s,
                        data=ReturnCreate(
                            key=f"R{t}-{i}",
                            order_ref="O1",
                            channel="pos",
                            receiving_store="S2",
                            lines=[RL(line_ref="O1-1", quantity=1)],
                        ),
                    )
                    s.commit()
                    with lock:
                        ok["returned"] += 1
                except (FulfilmentError, InventoryError):
                    s.rollback()
                    with lock:
                        ok["refused"] += 1

    run(10, 5, work)
    assert ok["returned"] == 5
    with pg_factory() as s:
        assert returns.returnable(s, order_ref="O1")[0]["returned"] == 5
        assert inv.get_level(s, location="S2", sku="SKU1").on_hand == 15
        assert inv.verify(s) == []
