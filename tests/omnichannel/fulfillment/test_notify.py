"""The customer hears: order ready with the pickup code (a real SMTP server on loopback),
cancellation with the refund; one message per moment, replays send nothing twice."""

from __future__ import annotations

import email
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.header import decode_header, make_header

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from omniretail.cdp.profile.models import Customer
from omniretail.omnichannel.fulfillment import codes
from omniretail.omnichannel.fulfillment import service as ful
from omniretail.omnichannel.fulfillment.schemas import FulfilmentCreate, OrderLineIn
from omniretail.platform.messaging import config as mconfig
from omniretail.platform.messaging import service as messaging
from omniretail.platform.messaging.models import Message
from tests.omnichannel.inventory.factories import world
from tests.receivers import smtp_server

T0 = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)


@pytest.fixture
def smtp(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[object]]:
    with smtp_server() as (inbox, port):
        monkeypatch.setenv("OMNIRETAIL_MESSAGING_SMTP_HOST", "127.0.0.1")
        monkeypatch.setenv("OMNIRETAIL_MESSAGING_SMTP_PORT", str(port))
        mconfig.get_messaging_settings.cache_clear()
        yield inbox.mails
    mconfig.get_messaging_settings.cache_clear()


def _text(mail: object) -> str:
    msg = email.message_from_bytes(mail.content)  # type: ignore[attr-defined]
    subject = str(make_header(decode_header(msg["Subject"])))
    body = (
        msg.get_payload(decode=True)
        if not msg.is_multipart()
        else b"".join(p.get_payload(decode=True) or b"" for p in msg.walk() if not p.is_multipart())
    )
    return subject + "\n" + (body or b"").decode("utf-8", "replace")


def test_ready_and_cancelled_messages(
    session: Session, smtp: list[object], store_engine: Engine
) -> None:
    session.add(Customer(customer_id="C1", email="c1@example.cn", sources=["miniprogram"]))
    world(session)
    [f] = ful.place(
        session,
        data=FulfilmentCreate(
            order_ref="WX100",
            channel="miniprogram",
            customer_id="C1",
            mode="pickup",
            pickup_store="S1",
            lines=[OrderLineIn(line_ref="l1", sku="SKU1", quantity=2, unit_price_fen=1250)],
        ),
        now=T0,
    )
    ful.start_picking(session, fulfilment_id=f.id, now=T0)
    ful.mark_ready(session, fulfilment_id=f.id, now=T0)
    code = codes.current(session, fulfilment_id=f.id)
    assert code is not None
    session.commit()
    assert messaging.dispatch(sessionmaker(bind=store_engine)).sent == 1
    [ready] = [_text(m) for m in smtp]
    assert "订单已备好" in ready
    assert code.code in ready
    assert "门店A" in ready
    assert ful.expire_uncollected(session, now=T0 + timedelta(days=3, minutes=1)) == 1
    ful.expire_uncollected(session, now=T0 + timedelta(days=4))
    session.commit()
    messaging.dispatch(sessionmaker(bind=store_engine))
    texts = [_text(m) for m in smtp]
    assert len(texts) == 2
    assert "订单已取消" in texts[1]
    assert "25.00" in texts[1]
    keys = list(session.scalars(select(Message.key).order_by(Message.id)))
    assert keys == [
        f"fulfilment:{f.id}:pickup_ready:{code.code}",
        f"fulfilment:{f.id}:order_cancelled",
    ]
