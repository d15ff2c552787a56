"""The service assistant: FAQ answers, abstention, hand-over, bad input, and transactional answers
from the identified customer's own data only (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from omniretail.care.assistant import service
from omniretail.cli.main import app
from omniretail.marketing.loyalty import service as loyalty_service
from omniretail.omnichannel.fulfillment import service as ful
from omniretail.omnichannel.fulfillment.schemas import Address, FulfilmentCreate, OrderLineIn
from tests.omnichannel.inventory.factories import world

T0 = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


def place(session: Session, ref: str, customer: str) -> int:
    data = FulfilmentCreate(
        order_ref=ref,
        channel="miniprogram",
        customer_id=customer,
        mode="pickup",
        address=Address(latitude=31.2195, longitude=121.4805),
        tender="wechat",
        lines=[OrderLineIn(line_ref=f"{ref}-1", sku="SKU1", quantity=1, unit_price_fen=1500)],
    )
    [f] = ful.place(session, data=data, now=T0)
    return f.id


def test_faq_answer_and_abstention() -> None:
    r = service.ask(None, question="運費多少錢")  # traditional characters are normalised
    assert (r.intent, r.abstained) == ("delivery.fee", False)
    assert "59" in r.answer
    off = service.ask(None, question="今天天气怎么样")
    assert off.abstained
    assert off.intent is None
    assert off.reason == "below_threshold"


@pytest.mark.parametrize(
    ("question", "reason"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("😀😀👍", "no_text"),
        ("？？！", "no_text"),
        ("我要转人工", "handover_requested"),
    ],
)
def test_bad_input_and_handover(question: str, reason: str) -> None:
    r = service.ask(None, question=question)
    assert r.abstained
    assert r.reason == reason


def test_huge_and_mixed_script_questions() -> None:
    r = service.ask(None, question="运费多少钱" + "啊" * 100_000)
    assert r.reason in {"answered", "below_threshold"}  # cut to 500 characters, no crash
    mixed = service.ask(None, question="delivery 运费多少钱 please")
    assert mixed.intent == "delivery.fee"


def test_transactional_intent_needs_an_identified_customer() -> None:
    r = service.ask(None, question="我有多少积分")
    assert r.intent == "points.balance"
    assert r.reason == "needs_identity"


def test_points_balance_is_the_customers_own(session: Session) -> None:
    loyalty_service.earn(
        session,
        customer_id="C1",
        source="pos",
        order_id="P1",
        amount=Decimal("128"),
        occurred_at=T0,
        now=T0,
    )
    mine = service.ask(session, question="我有多少积分", customer_id="C1")
    assert mine.reason == "answered"
    assert mine.data["balance"] == 128
    other = service.ask(session, question="我有多少积分", customer_id="C2")
    assert other.data["balance"] == 0


def test_order_and_pickup_code_only_for_the_customer(session: Session) -> None:
    world(session)
    fid = place(session, "WX100200", "C1")
    place(session, "WX900900", "C9")
    r = service.ask(session, question="我的订单到哪了", customer_id="C1")
    assert r.data["order_ref"] == "WX100200"
    assert not r.abstained
    nosy = service.ask(session, question="帮我查一下订单WX900900到哪了", customer_id="C1")
    assert "WX900900" in nosy.answer
    assert "本人" in nosy.answer
    assert "state" not in nosy.data
    ful.start_picking(session, fulfilment_id=fid, now=T0)
    ful.mark_ready(session, fulfilment_id=fid, now=T0 + timedelta(minutes=20))
    code = service.ask(session, question="我的取货码是多少", customer_id="C1")
    assert code.data["order_ref"] == "WX100200"
    assert len(code.data["code"]) == 8
    assert code.data["code"] in code.answer
    none = service.ask(session, question="我的取货码是多少", customer_id="C9")
    assert "code" not in none.data


def test_cli_ask_json() -> None:
    result = CliRunner().invoke(app, ["assistant", "ask", "--json", "可以开发票吗"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.output.strip().splitlines()[-1])
    assert set(body) >= {"answer", "intent", "abstained"}
    assert body["abstained"] is False


def test_nearest_store_with_stock_from_live_availability(session: Session) -> None:
    from decimal import Decimal

    from omniretail.omnichannel.product import service as product_service
    from omniretail.omnichannel.product.schemas import CategoryCreate, ProductCreate

    world(session)
    product_service.upsert_categories(
        session, categories=[CategoryCreate(code="NUTS", name="坚果")]
    )
    product_service.upsert_products(
        session,
        products=[
            ProductCreate(sku="SKU1", name="每日坚果", category_code="NUTS", price=Decimal("59.9"))
        ],
    )
    place(session, "WX300300", "C1")  # C1 shops near the store that took this order
    r = service.ask(session, question="附近哪家店有每日坚果", customer_id="C1")
    assert r.intent == "store.nearest_stock"
    assert not r.abstained
    assert r.data["sku"] == "SKU1"
    assert r.data["stores"]
    assert all(s["available"] >= 1 for s in r.data["stores"])
    kms = [s["distance_km"] for s in r.data["stores"]]
    assert kms == sorted(kms)  # nearest first
    unnamed = service.ask(session, question="离我最近有货的店", customer_id="C1")
    assert unnamed.data == {"reason": "no_product"}
    assert "商品名称" in unnamed.answer
