"""Binding modes, the protection period, lock extension and WeCom's transfer limits; every
refusal names why. The rules run on SQLite; the bulk load on both stores (test_concurrency.py
runs the rules under concurrent claims on PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from omniretail.cdp.identity.errors import CustomerNotResolved
from omniretail.omnichannel.staff.errors import UnknownStaff
from omniretail.operations.guide import service
from omniretail.operations.guide.errors import BadGuideInput, GuideRefused, StaffNotClerk
from omniretail.operations.guide.models import GuideBinding, GuideCustomer
from omniretail.operations.guide.schemas import PolicyRead
from tests.operations.guide.factories import guide_world

T0 = datetime(2026, 12, 6, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai


def _mode(session: Session, mode: str, **kw: int) -> None:
    service.set_policy(session, policy=PolicyRead(binding_mode=mode, **kw))  # type: ignore[arg-type]


def test_first_touch_keeps_the_first_clerk(sqlite_session: Session) -> None:
    session = sqlite_session
    c1, *_ = guide_world(session)
    b = service.claim(session, customer_id=c1, staff_code="G1", source="contact_me",
                      source_ref="state-G1", at=T0)  # fmt: skip
    assert (b.staff_code, b.store_code, b.source_ref) == ("G1", "S1", "state-G1")
    with pytest.raises(GuideRefused) as exc:
        service.claim(session, customer_id=c1, staff_code="G2", source="store_qr",
                      at=T0 + timedelta(days=90))  # fmt: skip
    assert exc.value.reason == "already_bound"
    assert "此客户已绑定导购 G1（首次绑定优先），至 2027-12-06" in exc.value.detail
    # a touch by the bound clerk keeps the relationship (and extends its lock)
    again = service.claim(session, customer_id=c1, staff_code="G1",
                          source="share_link", at=T0 + timedelta(days=1))  # fmt: skip
    assert again.id == b.id


def test_latest_touch_waits_for_the_protection_period(sqlite_session: Session) -> None:
    session = sqlite_session
    c1, *_ = guide_world(session)
    _mode(session, "latest_touch", protection_days=30)
    service.claim(session, customer_id=c1, staff_code="G1", source="store_qr", at=T0)
    with pytest.raises(GuideRefused) as exc:
        service.claim(session, customer_id=c1, staff_code="G2", source="share_link",
                      at=T0 + timedelta(days=10))  # fmt: skip
    assert exc.value.reason == "protected"
    assert "此客户在保护期内，至 2027-01-05" in exc.value.detail
    # an order through G1 extends the lock by 30 days from the order
    service.touch(session, customer_id=c1, staff_code="G1", kind="order",
                  at=T0 + timedelta(days=20))  # fmt: skip
    with pytest.raises(GuideRefused, match="至 2027-01-25"):
        service.claim(session, customer_id=c1, staff_code="G2", source="share_link",
                      at=T0 + timedelta(days=40))  # fmt: skip
    b = service.claim(session, customer_id=c1, staff_code="G2", source="share_link",
                      at=T0 + timedelta(days=51))  # fmt: skip
    assert b.staff_code == "G2"
    periods = service.bindings_of(session, customer_id=c1)
    assert [(p.staff_code, p.end_reason) for p in periods] == [("G1", "override"), ("G2", None)]
    assert service.touch(session, customer_id=c1, staff_code="G1", kind="click",
                         at=T0 + timedelta(days=52)) is None  # fmt: skip


def test_registration_only(sqlite_session: Session) -> None:
    session = sqlite_session
    c1, c2, *_ = guide_world(session)
    _mode(session, "registration_only")
    with pytest.raises(GuideRefused, match="仅在会员注册时绑定导购"):
        service.claim(session, customer_id=c1, staff_code="G1", source="store_qr", at=T0)
    b = service.claim(session, customer_id=c2, staff_code="G1", source="store_qr",
                      registration=True, at=T0)  # fmt: skip
    assert b.staff_code == "G1"
    assert session.scalar(select(func.count()).select_from(GuideBinding)) == 1


def test_bad_input_is_named_and_changes_nothing(sqlite_session: Session) -> None:
    session = sqlite_session
    c1, *_ = guide_world(session)
    with pytest.raises(UnknownStaff):
        service.claim(session, customer_id=c1, staff_code="NOPE", source="store_qr", at=T0)
    with pytest.raises(StaffNotClerk, match="不是导购"):
        service.claim(session, customer_id=c1, staff_code="K1", source="store_qr", at=T0)
    with pytest.raises(StaffNotClerk, match="已离职"):
        service.claim(session, customer_id=c1, staff_code="X1", source="store_qr", at=T0)
    with pytest.raises(CustomerNotResolved):
        service.claim(session, customer_id="C404", staff_code="G1", source="store_qr", at=T0)
    with pytest.raises(BadGuideInput, match="未知的绑定来源"):
        service.claim(session, customer_id=c1, staff_code="G1", source="fax", at=T0)
    assert session.scalar(select(func.count()).select_from(GuideCustomer)) == 0


def test_transfers_follow_wecom_limits(sqlite_session: Session) -> None:
    session = sqlite_session
    c1, *_ = guide_world(session)
    service.claim(session, customer_id=c1, staff_code="G1", source="contact_me", at=T0)
    t1 = service.request_transfer(session, customer_id=c1, to_staff="G2", at=T0)
    assert t1.takeover_at == T0 + timedelta(hours=24)
    with pytest.raises(GuideRefused, match="已有待接替的转接"):
        service.request_transfer(session, customer_id=c1, to_staff="G3", at=T0)
    assert service.complete_due_transfers(session, now=T0 + timedelta(hours=23)) == 0
    assert service.complete_due_transfers(session, now=T0 + timedelta(hours=24)) == 1
    assert service.current_binding(session, c1).staff_code == "G2"  # type: ignore[union-attr]
    # the customer refuses the second one: it does not move them, but counts toward the limit
    t2 = service.request_transfer(session, customer_id=c1, to_staff="G3", at=T0 + timedelta(days=2))
    service.refuse_transfer(session, transfer_id=t2.id, at=T0 + timedelta(days=2, hours=1))
    assert service.current_binding(session, c1).staff_code == "G2"  # type: ignore[union-attr]
    t3 = service.request_transfer(session, customer_id=c1, to_staff="G3", at=T0 + timedelta(days=3))
    service.complete_due_transfers(session, now=T0 + timedelta(days=5))
    assert t3.status == "pending"
    with pytest.raises(GuideRefused) as exc:
        service.request_transfer(session, customer_id=c1, to_staff="G4", at=T0 + timedelta(days=30))
    assert exc.value.reason == "transfer_limit"
    assert "90 天内已转接 2 次，企业微信最多允许 2 次" in exc.value.detail
    # the window moves on
    t4 = service.request_transfer(
        session, customer_id=c1, to_staff="G4", at=T0 + timedelta(days=91)
    )
    assert t4.from_staff == "G3"
    with pytest.raises(GuideRefused, match="已超过 24 小时"):
        service.refuse_transfer(session, transfer_id=t4.id, at=T0 + timedelta(days=93))


def test_a_leaving_clerk_hands_over(sqlite_session: Session) -> None:
    session = sqlite_session
    ids = guide_world(session, customers=4)
    for c in ids:
        service.claim(session, customer_id=c, staff_code="G1", source="store_qr", at=T0)
    service.request_transfer(session, customer_id=ids[0], to_staff="G3", at=T0)
    out = service.hand_over(session, from_staff="G1", to_staff="G2", at=T0)
    assert (out.requested, out.refused, out.reasons) == (3, 1, {"pending_transfer": 1})
    service.complete_due_transfers(session, now=T0 + timedelta(days=2))
    assert service.bound_counts(session) == {"G2": 3, "G3": 1}


def test_expiry_frees_the_customer(sqlite_session: Session) -> None:
    session = sqlite_session
    c1, *_ = guide_world(session)
    _mode(session, "first_touch", validity_days=30)
    service.claim(session, customer_id=c1, staff_code="G1", source="store_qr", at=T0)
    assert service.expire_due(session, now=T0 + timedelta(days=31)) == 1
    b = service.claim(session, customer_id=c1, staff_code="G2", source="store_qr",
                      at=T0 + timedelta(days=32))  # fmt: skip
    assert b.staff_code == "G2"


def test_import_bindings_in_bulk(session: Session) -> None:
    ids = guide_world(session, customers=6)
    service.claim(session, customer_id=ids[0], staff_code="G2", source="store_qr", at=T0)
    n = service.import_bindings(session, rows=[(c, "G1", T0) for c in ids])
    assert n == 5
    assert service.bound_counts(session) == {"G1": 5, "G2": 1}
    with pytest.raises(StaffNotClerk):
        service.import_bindings(session, rows=[(ids[0], "K1", T0)])
    # ids keep working after a bulk load (the PostgreSQL sequence moved on)
    b = service.claim(session, customer_id=ids[0], staff_code="G2", source="purchase", at=T0)
    assert b.staff_code == "G2"
    service.set_policy(session, policy=PolicyRead(binding_mode="latest_touch", protection_days=0))
    nb = service.claim(session, customer_id=ids[1], staff_code="G3", source="purchase",
                       at=T0 + timedelta(days=31))  # fmt: skip
    assert nb.id > 6


def test_a_customer_deleting_the_clerk_ends_the_relationship(sqlite_session: Session) -> None:
    session = sqlite_session
    c1, *_ = guide_world(session)
    service.claim(session, customer_id=c1, staff_code="G1", source="contact_me", at=T0)
    assert service.contact_deleted(session, customer_id=c1, staff_code="G2", at=T0) is None
    ended = service.contact_deleted(session, customer_id=c1, staff_code="G1",
                                    at=T0 + timedelta(days=1))  # fmt: skip
    assert ended is not None
    assert ended.end_reason == "deleted"
    assert service.bound_counts(session) == {}
    # free for the next touch, even inside the old protection period
    assert service.claim(session, customer_id=c1, staff_code="G2", source="store_qr",
                         at=T0 + timedelta(days=2)).staff_code == "G2"  # fmt: skip
    counts = service.contact_counts(session, since=T0 - timedelta(days=1))
    assert counts == {"G1": {"new": 1, "deleted": 1}, "G2": {"new": 1, "deleted": 0}}
