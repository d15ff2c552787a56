"""Coupon issuing, validation reasons, redemption and reversal on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal as D

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from omniretail.marketing.coupon import redemption, service
from omniretail.marketing.coupon.errors import (
    CouponConflict,
    CouponNotFound,
    CouponNotUsable,
    IssueLimitReached,
    TemplateError,
)
from omniretail.marketing.coupon.models import Coupon, CouponRedemption
from omniretail.marketing.coupon.schemas import TemplateCreate
from omniretail.omnichannel.product.models import Category, Product
from omniretail.omnichannel.store.models import City, Region, Store
from tests.marketing.coupon.factories import NOW, basket, template

C1, C2 = "C000000001", "C000000002"


def test_validity_fixed_or_days_after_issue(session: Session) -> None:
    template(session, "FIXED")
    template(session, "REL", valid_until=None, valid_from=None, valid_days=7)
    fixed = service.issue(session, template_code="FIXED", customer_id=C1, now=NOW)
    rel = service.issue(session, template_code="REL", customer_id=C1, now=NOW)
    assert fixed.valid_until is not None
    assert rel.valid_until is not None
    assert redemption._aware(rel.valid_until) == NOW + timedelta(days=7)
    assert redemption._aware(fixed.valid_until) == NOW + timedelta(days=30)


def test_template_needs_an_end_and_a_unique_code(session: Session) -> None:
    with pytest.raises(TemplateError, match="valid_until"):
        template(session, "NOEND", valid_until=None)
    template(session, "DUP")
    with pytest.raises(TemplateError, match="already exists"):
        template(session, "DUP")


def test_limits_per_customer_total_and_budget(session: Session) -> None:
    template(session, "LIM", per_customer_limit=2, total_limit=3)
    service.issue(session, template_code="LIM", customer_id=C1, now=NOW)
    service.issue(session, template_code="LIM", customer_id=C1, now=NOW)
    with pytest.raises(IssueLimitReached) as exc:
        service.issue(session, template_code="LIM", customer_id=C1, now=NOW)
    assert exc.value.field == "customer_id"
    service.issue(session, template_code="LIM", customer_id=C2, now=NOW)
    with pytest.raises(IssueLimitReached) as exc:
        service.issue(session, template_code="LIM", customer_id="C3", now=NOW)
    assert exc.value.field == "template_code"
    template(session, "BUDGET", face_value=D("10"), budget=D("25"))
    service.issue(session, template_code="BUDGET", customer_id=C1, now=NOW)
    service.issue(session, template_code="BUDGET", customer_id=C2, now=NOW)
    with pytest.raises(IssueLimitReached):
        service.issue(session, template_code="BUDGET", customer_id="C3", now=NOW)
    assert service.liability(session, template_code="BUDGET")["outstanding"] == 2


def test_issue_batch_is_idempotent_and_shares_limits(session: Session) -> None:
    template(session, "CAMP", total_limit=5, per_customer_limit=1)
    service.issue(session, template_code="CAMP", customer_id="K0", now=NOW)
    ids = [f"K{i}" for i in range(8)]
    first = service.issue_batch(
        session, campaign_id="bday-1", customer_ids=ids, template="CAMP", now=NOW
    )
    # K0 already holds one (per-customer limit 1), 4 left in the total
    assert (first.issued, first.already_issued, first.refused) == (4, 0, 4)
    again = service.issue_batch(
        session, campaign_id="bday-1", customer_ids=ids, template="CAMP", now=NOW
    )
    assert (again.issued, again.already_issued) == (0, 4)
    total = session.scalar(select(func.count()).select_from(Coupon))
    assert total == 5
    assert service.get_template(session, code="CAMP").issued_count == 5


def test_coupon_center_claims(session: Session) -> None:
    template(session, "HIDDEN")
    template(session, "CENTER", claimable=True, per_customer_limit=1, total_limit=10)
    with pytest.raises(TemplateError, match="coupon center"):
        service.claim(session, template_code="HIDDEN", customer_id=C1, now=NOW)
    service.claim(session, template_code="CENTER", customer_id=C1, now=NOW)
    items = service.coupon_center(session, customer_id=C1, now=NOW)
    assert [(i.template.code, i.held, i.can_claim, i.remaining) for i in items] == [
        ("CENTER", 1, False, 9)
    ]
    with pytest.raises(IssueLimitReached):
        service.claim(session, template_code="CENTER", customer_id=C1, now=NOW)


def _reason(session: Session, code: str, b=None, now=NOW) -> str | None:  # type: ignore[no-untyped-def]
    return redemption.validate(session, code=code, basket=b or basket(), now=now).reason


def test_each_problem_gets_its_own_reason(session: Session) -> None:
    template(
        session,
        "SCOPED",
        min_spend=D("100"),
        scope={
            "include": {"channels": ["pos", "miniprogram"], "categories": ["BEV"]},
            "exclude": {"stores": ["S666"], "regions": ["WEST"]},
        },
    )
    code = service.issue(session, template_code="SCOPED", customer_id=C1, now=NOW).code
    assert _reason(session, code) is None
    assert _reason(session, "ABCD") == "malformed_code"
    assert _reason(session, code[:-1] + ("2" if code[-1] != "2" else "3")) == "malformed_code"
    from omniretail.marketing.coupon.codes import new_code

    assert _reason(session, new_code()) == "unknown_code"
    assert _reason(session, code, basket(C2)) == "not_owner"
    assert _reason(session, code, basket(None)) == "not_owner"
    assert _reason(session, code, now=NOW - timedelta(days=2)) == "not_started"
    assert _reason(session, code, now=NOW + timedelta(days=31)) == "expired"
    assert _reason(session, code, basket(store="S666")) == "wrong_store"
    assert _reason(session, code, basket(channel="tmall")) == "wrong_channel"
    assert _reason(session, code, basket(region="WEST")) == "wrong_region"
    assert _reason(session, code, basket(lines=[("X", 1, "500", "TOYS")])) == "outside_scope"
    assert _reason(session, code, basket(lines=[("X", 1, "99", "BEV")])) == "min_spend_not_met"
    service.set_template_status(session, code="SCOPED", status="paused")
    assert _reason(session, code) == "template_inactive"
    service.set_template_status(session, code="SCOPED", status="active")
    redemption.redeem(session, code=code, order_id="O1", basket=basket(), now=NOW)
    v = redemption.validate(session, code=code, basket=basket(), now=NOW)
    assert (v.reason, v.detail_zh) == ("already_used", "券已使用")


def test_redeem_raises_specific_errors_and_changes_nothing(session: Session) -> None:
    template(session, "RR")
    code = service.issue(session, template_code="RR", customer_id=C1, now=NOW).code
    with pytest.raises(CouponNotUsable) as exc:
        redemption.redeem(session, code=code, order_id="O1", basket=basket(C2), now=NOW)
    assert exc.value.reason == "not_owner"
    assert exc.value.to_problem()["errors"][0]["field"] == "basket.customer_id"
    from omniretail.marketing.coupon.codes import new_code

    with pytest.raises(CouponNotFound):
        redemption.redeem(session, code=new_code(), order_id="O1", basket=basket(), now=NOW)
    assert session.scalar(select(func.count()).select_from(CouponRedemption)) == 0
    assert session.scalar(select(Coupon.status).where(Coupon.code == code)) == "issued"


def test_redeem_once_retries_replay_and_reverse_restores(session: Session) -> None:
    template(session, "ONCE", redeem_limit=10)
    code = service.issue(session, template_code="ONCE", customer_id=C1, now=NOW).code
    first = redemption.redeem(session, code=code, order_id="O1", basket=basket(), now=NOW)
    retry = redemption.redeem(session, code=code, order_id="O1", basket=basket(), now=NOW)
    assert first.discount == retry.discount == D("10.00")
    assert not first.replayed
    assert retry.replayed
    with pytest.raises(CouponConflict) as exc:
        redemption.redeem(session, code=code, order_id="O2", basket=basket(), now=NOW)
    assert exc.value.reason == "already_used"
    with pytest.raises(CouponConflict) as exc:
        redemption.redeem(
            session, code=code, order_id="O3", idempotency_key="O1", basket=basket(), now=NOW
        )
    assert exc.value.reason == "duplicate_request"

    back = redemption.reverse(session, code=code, return_id="RET1", now=NOW)
    assert back.discount == D("-10.00")
    assert back.coupon_status == "issued"
    assert redemption.reverse(session, code=code, return_id="RET1", now=NOW).replayed
    # the original order retried after the return: still replayed, never applied again
    assert redemption.redeem(session, code=code, order_id="O1", basket=basket(), now=NOW).replayed
    again = redemption.redeem(session, code=code, order_id="O9", basket=basket(), now=NOW)
    assert again.coupon_status == "redeemed"
    t = service.get_template(session, code="ONCE")
    session.refresh(t)
    ledger = session.scalars(select(CouponRedemption.kind).order_by(CouponRedemption.id)).all()
    assert ledger == ["redeem", "reverse", "redeem"]
    assert t.redeemed_count == 1


def test_reverse_follows_template_rules(session: Session) -> None:
    template(session, "NORESTORE", restore_on_return=False)
    code = service.issue(session, template_code="NORESTORE", customer_id=C1, now=NOW).code
    redemption.redeem(session, code=code, order_id="O1", basket=basket(), now=NOW)
    assert redemption.reverse(session, code=code, return_id="R1", now=NOW).coupon_status == "void"
    template(session, "LATE")
    code2 = service.issue(session, template_code="LATE", customer_id=C1, now=NOW).code
    redemption.redeem(session, code=code2, order_id="O2", basket=basket(), now=NOW)
    late = NOW + timedelta(days=60)
    assert redemption.reverse(session, code=code2, return_id="R2", now=late).coupon_status == (
        "expired"
    )
    with pytest.raises(CouponConflict):
        redemption.reverse(session, code=code2, return_id="R3", now=late)


def test_redeem_limit_is_enforced(session: Session) -> None:
    template(session, "FIRST2", redeem_limit=2)
    codes = [
        service.issue(session, template_code="FIRST2", customer_id=f"C{i}", now=NOW).code
        for i in range(3)
    ]
    for i, code in enumerate(codes[:2]):
        redemption.redeem(session, code=code, order_id=f"O{i}", basket=basket(f"C{i}"), now=NOW)
    with pytest.raises(CouponConflict) as exc:
        redemption.redeem(session, code=codes[2], order_id="O2", basket=basket("C2"), now=NOW)
    assert exc.value.reason == "limit_reached"
    assert session.scalar(select(Coupon.status).where(Coupon.code == codes[2])) == "issued"


def test_expire_batch_job(session: Session) -> None:
    template(session, "EXP", valid_until=None, valid_from=None, valid_days=3)
    for i in range(4):
        service.issue(session, template_code="EXP", customer_id=f"C{i}", now=NOW)
    assert service.expire_due(session, now=NOW + timedelta(days=2)) == 0
    assert service.expire_due(session, now=NOW + timedelta(days=4)) == 4
    assert service.expire_due(session, now=NOW + timedelta(days=5)) == 0


def test_region_and_categories_come_from_master_data(session: Session) -> None:
    east = Region(code="EAST", name="华东")
    city = City(code="310100", name="上海", province="上海市", region=east)
    session.add(Store(code="S001", name="上海店", store_type="mall", city=city))
    bev = Category(code="BEV", name="饮品")
    coffee = Category(code="COFFEE", name="咖啡", parent=bev)
    session.add(Product(sku="LATTE", name="拿铁", category=coffee, price=D("30")))
    session.flush()
    template(
        session,
        "EASTBEV",
        kind="percent_off",
        rules={"percent": "10"},
        scope={"include": {"regions": ["EAST"], "categories": ["BEV"]}},
    )
    code = service.issue(session, template_code="EASTBEV", customer_id=C1, now=NOW).code
    b = basket(region=None, lines=[("LATTE", 2, "30.00", None), ("OTHER", 1, "10", None)])
    v = redemption.validate(session, code=code, basket=b, now=NOW)
    assert v.valid
    assert v.discount == D("6.00")
    online = basket(region=None, store=None, lines=[("LATTE", 1, "30.00", None)])
    assert redemption.validate(session, code=code, basket=online, now=NOW).reason == (
        "wrong_region"
    )


def test_template_create_schema_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="valid_until must be after"):
        TemplateCreate(code="X1", name="x", kind="amount_off", valid_from=NOW, valid_until=NOW)


def test_objects_held_in_the_session_see_the_redemption(session: Session) -> None:
    """Redeem reads and writes with plain statements; a caller holding the coupon and the
    template as ORM objects in the same session still sees the new state afterwards."""
    t = template(session, "HELD", redeem_limit=5)
    coupon = service.issue(session, template_code="HELD", customer_id=C1, now=NOW)
    assert (coupon.status, t.redeemed_count) == ("issued", 0)
    redemption.redeem(session, code=coupon.code, order_id="O1", basket=basket(), now=NOW)
    assert (coupon.status, coupon.order_id, t.redeemed_count) == ("redeemed", "O1", 1)
    # nothing else of the coupon or the template was touched
    assert (coupon.customer_id, coupon.template_id, t.kind, t.code) == (
        C1,
        t.id,
        "spend_save",
        "HELD",
    )
    redemption.reverse(session, code=coupon.code, return_id="R1", now=NOW)
    assert (coupon.status, coupon.order_id, t.redeemed_count) == ("issued", None, 0)
