"""On PostgreSQL, concurrent requests: the same order sent by 8 threads at once is created
once; 8 concurrent returns of one unit each against 5 units sold return exactly 5."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import sessionmaker

from omniretail.omnichannel.order import service
from omniretail.omnichannel.order.errors import InvalidOrder
from omniretail.omnichannel.order.models import SalesOrder
from omniretail.omnichannel.order.schemas import ReturnIn
from tests.omnichannel.factories import order_in, retail_world

pytestmark = pytest.mark.postgres


def _parallel(n: int, work: object) -> list[str]:
    barrier = threading.Barrier(n)
    out: list[str] = []
    lock = threading.Lock()

    def run(i: int) -> None:
        barrier.wait()
        try:
            res = work(i)  # type: ignore[operator]
        except Exception as exc:  # noqa: BLE001 - collected and asserted on
            res = type(exc).__name__
        with lock:
            out.append(str(res))

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return out


@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
def test_concurrent_creates_and_returns(store_engine: Engine) -> None:
    factory = sessionmaker(bind=store_engine, expire_on_commit=False)
    with factory.begin() as s:
        retail_world(s)

    def create(i: int) -> int:
        with factory.begin() as s:
            spelled = ["T-9", " t-9", "T-9 ", "t-9"][i % 4]
            return service.create_order(s, data=order_in(external_id=spelled)).id

    ids = _parallel(8, create)
    assert len(set(ids)) == 1, ids
    with factory() as s:
        assert s.scalar(select(func.count()).select_from(SalesOrder)) == 1
    order_id = int(ids[0])
    with factory.begin() as s:
        o = service.create_order(
            s,
            data=order_in(
                external_id="T-10",
                lines=[{"sku": "A3", "quantity": 5}],
                tenders=[{"method": "cash", "amount_fen": 5000}],
            ),
        )
        order_id = o.id

    def give_back(i: int) -> str:
        with factory.begin() as s:
            data = ReturnIn(lines=[{"line_no": 1, "quantity": 1}], idempotency_key=f"k{i}")  # type: ignore[list-item]
            try:
                return service.return_order(s, order_id=order_id, data=data).status
            except InvalidOrder:
                return "refused"

    got = Counter(_parallel(8, give_back))
    assert got["refused"] == 3
    assert got["partially_returned"] + got["returned"] == 5
    with factory() as s:
        final = service.get_order(s, order_id=order_id)
    assert (final.status, final.refunded_fen, final.lines[0].returned_qty) == ("returned", 5000, 5)
