"""Flash-sale stock is never oversold; team buying forms, fills, fails and refunds."""

from __future__ import annotations

import random
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from decimal import Decimal as D

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from omniretail.marketing.coupon.basket import Basket, BasketLine
from omniretail.marketing.promotion import pricing
from omniretail.marketing.promotion import service as promos
from omniretail.marketing.promotion.errors import SoldOut, TeamBuyClosed
from omniretail.marketing.promotion.models import FlashSaleAllocation, Promotion
from omniretail.platform import migrate
from omniretail.platform.db import make_engine
from tests.marketing.coupon.factories import NOW
from tests.marketing.promotion.test_pricing import promo


def test_flash_sale_limits_and_release(session: Session) -> None:
    promo(
        session,
        "FS",
        "flash_sale",
        {"sku": "TV", "price": "999", "per_customer_qty": 2},
        stock_cap=3,
    )
    promos.allocate_flash_stock(
        session, code="FS", order_id="O1", quantity=2, customer_id="A", now=NOW
    )
    again = promos.allocate_flash_stock(
        session, code="FS", order_id="O1", quantity=2, customer_id="A", now=NOW
    )
    assert again.quantity == 2
    with pytest.raises(SoldOut) as exc:
        promos.allocate_flash_stock(
            session, code="FS", order_id="O2", quantity=1, customer_id="A", now=NOW
        )
    assert exc.value.extra["reason"] == "customer_limit"
    with pytest.raises(SoldOut) as exc:
        promos.allocate_flash_stock(
            session, code="FS", order_id="O3", quantity=2, customer_id="B", now=NOW
        )
    assert exc.value.extra["reason"] == "sold_out"
    assert promos.get_promotion(session, code="FS").stock_sold == 2
    promos.release_flash_stock(session, code="FS", order_id="O1")
    promos.release_flash_stock(session, code="FS", order_id="O1")  # retried: released once
    assert promos.get_promotion(session, code="FS").stock_sold == 0
    with pytest.raises(SoldOut, match="not running"):
        promos.allocate_flash_stock(
            session, code="FS", order_id="O9", quantity=1, now=NOW + timedelta(days=9)
        )


def test_team_buying_success_failure_and_refunds(session: Session) -> None:
    promo(
        session,
        "TB",
        "team_buy",
        {"sku": "DURIAN", "price": "59", "group_size": 3, "time_limit_minutes": 60},
    )
    g = promos.open_team(
        session, code="TB", customer_id="L", order_id="OL", paid_amount=D("59"), now=NOW
    )
    assert (
        promos.open_team(
            session, code="TB", customer_id="L", order_id="OL", paid_amount=D("59"), now=NOW
        ).id
        == g.id
    )
    promos.join_team(
        session, group_id=g.id, customer_id="M1", order_id="O1", paid_amount=D("59"), now=NOW
    )
    promos.join_team(
        session, group_id=g.id, customer_id="M1", order_id="O1", paid_amount=D("59"), now=NOW
    )
    with pytest.raises(TeamBuyClosed, match="already in team"):
        promos.join_team(
            session, group_id=g.id, customer_id="M1", order_id="O1b", paid_amount=D("59"), now=NOW
        )
    # the team price applies to a member's line
    b = Basket(
        customer_id="M1",
        channel_code="miniprogram",
        lines=[
            BasketLine(
                sku="DURIAN",
                quantity=1,
                unit_price=D("99"),
                category_code="FRUIT",
                team_buy_group_id=g.id,
            )
        ],
    )
    q = pricing.price_basket(session, basket=b, now=NOW)
    assert q.payable == D("59")
    assert "拼团价" in q.discounts[0].text_zh
    done = promos.join_team(
        session, group_id=g.id, customer_id="M2", order_id="O2", paid_amount=D("59"), now=NOW
    )
    assert (done.status, done.member_count) == ("succeeded", 3)
    with pytest.raises(TeamBuyClosed, match="succeeded"):
        promos.join_team(
            session, group_id=g.id, customer_id="M3", order_id="O3", paid_amount=D("59"), now=NOW
        )

    lonely = promos.open_team(
        session, code="TB", customer_id="L2", order_id="OL2", paid_amount=D("59"), now=NOW
    )
    promos.join_team(
        session, group_id=lonely.id, customer_id="M9", order_id="O9", paid_amount=D("59"), now=NOW
    )
    later = NOW + timedelta(minutes=61)
    with pytest.raises(TeamBuyClosed, match="expired"):
        promos.join_team(
            session,
            group_id=lonely.id,
            customer_id="M8",
            order_id="O8",
            paid_amount=D("59"),
            now=later,
        )
    assert promos.close_expired_teams(session, now=later) == {
        "teams_failed": 1,
        "members_to_refund": 2,
    }
    assert promos.close_expired_teams(session, now=later) == {
        "teams_failed": 0,
        "members_to_refund": 0,
    }
    due = promos.refunds_due(session)
    assert sorted(m.order_id for m in due) == ["O9", "OL2"]
    promos.mark_refunded(session, group_id=lonely.id, order_id="O9")
    assert [m.order_id for m in promos.refunds_due(session)] == ["OL2"]
    with pytest.raises(TeamBuyClosed):
        promos.mark_refunded(session, group_id=g.id, order_id="O1")


@pytest.mark.postgres
def test_flash_sale_never_oversold_under_concurrency(pg_server: object) -> None:
    url = pg_server.create_database("flash_storm")  # type: ignore[attr-defined]
    migrate.upgrade(url)
    engine = make_engine(url, pool_size=30, max_overflow=4)
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    with factory() as s:
        promo(
            s,
            "HOT",
            "flash_sale",
            {"sku": "PHONE", "price": "1", "per_customer_qty": 2},
            stock_cap=100,
        )
        s.commit()
    rng = random.Random(5)
    tries = [(f"O{i % 700}", f"C{rng.randrange(120)}", rng.randint(1, 2)) for i in range(1000)]

    def grab(t: tuple[str, str, int]) -> str:
        order, customer, qty = t
        with factory() as s:
            try:
                promos.allocate_flash_stock(
                    s, code="HOT", order_id=order, quantity=qty, customer_id=customer, now=NOW
                )
                s.commit()
                return "ok"
            except SoldOut as exc:
                s.rollback()
                return str(exc.extra.get("reason", "retry_mismatch"))

    with ThreadPoolExecutor(30) as pool:
        outcomes = Counter(pool.map(grab, tries))
    assert outcomes["sold_out"] > 0
    with factory() as s:
        held = s.scalar(select(func.sum(FlashSaleAllocation.quantity)))
        sold = s.scalar(select(Promotion.stock_sold))
        per_customer = s.execute(
            select(
                FlashSaleAllocation.customer_id, func.sum(FlashSaleAllocation.quantity)
            ).group_by(FlashSaleAllocation.customer_id)
        ).all()
    assert held == sold == 100  # all sold, none oversold
    assert max(q for _, q in per_customer) <= 2
    engine.dispose()
