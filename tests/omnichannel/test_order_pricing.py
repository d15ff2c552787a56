"""Orders priced by marketing through the pricing interface (the default provider): a coupon
is redeemed once for the order, a replay redeems nothing again, a coupon that cannot be used
is an error naming it and nothing is applied."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from omniretail.marketing.coupon import service as coupon_service
from omniretail.marketing.coupon.models import Coupon
from omniretail.marketing.coupon.schemas import TemplateCreate
from omniretail.omnichannel.order import service
from omniretail.omnichannel.order.models import SalesOrder
from omniretail.omnichannel.order.pricing import get_pricing, pricing_names
from omniretail.platform.db import utcnow
from omniretail.platform.errors import InvalidInput
from tests.omnichannel.factories import order_in, retail_world

TOTAL = 2 * 5990 + 3 * 3330


def _coupon(session: Session) -> str:
    now = utcnow()
    coupon_service.create_template(
        session,
        data=TemplateCreate(
            code="SAVE20",
            name="满200减20",
            kind="spend_save",
            rules={"tiers": [{"spend": "200", "save": "20"}]},
            valid_from=now - timedelta(days=1),
            valid_until=now + timedelta(days=30),
            face_value=Decimal("20"),
        ),
    )
    return coupon_service.issue(session, template_code="SAVE20", customer_id="C000000001").code


def test_marketing_is_the_default_provider() -> None:
    assert {"marketing", "list_price"} <= set(pricing_names())
    provider = get_pricing()
    assert provider is not None
    assert provider.name == "marketing"


def test_a_coupon_discounts_the_order_once(session: Session) -> None:
    retail_world(session)
    code = _coupon(session)
    data = order_in(pricing=None, coupon_codes=[code])
    quote = service.quote(session, data=data)
    assert sum(quote.line_discount_fen) == 2000
    o = service.create_order(session, data=data)
    assert (o.pricing, o.discount_fen, o.total_fen) == ("marketing", 2000, TOTAL - 2000)
    assert sum(ln.discount_fen for ln in o.lines) == 2000
    assert o.discounts[0]["code"] == code
    coupon = session.scalars(select(Coupon).where(Coupon.code == code)).one()
    assert coupon.status == "redeemed"
    again = service.create_order(session, data=order_in(pricing=None, coupon_codes=[code]))
    assert again.id == o.id  # a replay: the coupon is not redeemed again

    # the same coupon on another order: refused, naming the coupon, nothing written
    with pytest.raises(InvalidInput) as exc:
        service.create_order(
            session, data=order_in(pricing=None, external_id="T-0002", coupon_codes=[code])
        )
    assert exc.value.field == "coupon_codes[0]"
    assert session.scalar(select(func.count()).select_from(SalesOrder)) == 1
