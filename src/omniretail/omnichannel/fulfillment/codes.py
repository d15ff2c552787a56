"""Pickup codes: 8 random digits plus a QR code (segno), unique among a store's active pickups,
used once; issuing a new one voids the old; at most 5 failed verifications per terminal in
10 minutes.

``verify`` returns an outcome instead of raising for a wrong code, so that the failed attempt
is committed (it counts towards the terminal's limit); ``VerifyOutcome.raise_for_failure`` then
gives the caller the specific error. Exactly one of any number of concurrent verifications of
one code hands the order over: the code is consumed by one conditional update.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import segno
from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from omniretail.omnichannel.fulfillment.errors import (
    FulfilmentNotFound,
    IllegalTransition,
    PickupCodeRejected,
    TooManyAttempts,
)
from omniretail.omnichannel.fulfillment.models import (
    Fulfilment,
    PickupCode,
    VerifyAttempt,
    VerifyTerminal,
)
from omniretail.omnichannel.fulfillment.notify import notify, when
from omniretail.omnichannel.fulfillment.schemas import PickupCodeRead
from omniretail.platform.db import utcnow

MAX_FAILURES = 5
WINDOW = timedelta(minutes=10)
QR_PREFIX = "OMNIRETAIL-PICKUP"

REJECT = {
    "wrong_code": ("提货码错误", "the pickup code is wrong"),
    "already_used": ("提货码已使用，订单已交付", "the pickup code was already used"),
    "voided": ("提货码已作废（已重新发码）", "the pickup code was replaced by a newer one"),
    "expired": ("提货码已过期，订单已超过保留期", "the pickup code expired with the hold"),
    "other_store": ("该提货码不属于本门店", "the pickup code belongs to another store"),
    "not_ready": ("订单尚未备货完成", "the order is not ready for pickup"),
}


def qr_content(store_code: str, code: str) -> str:
    return f"{QR_PREFIX}:{store_code}:{code}"


def qr_svg(store_code: str, code: str) -> str:
    return str(segno.make(qr_content(store_code, code), error="m").svg_inline(scale=4))


def _read(row: PickupCode) -> PickupCodeRead:
    return PickupCodeRead(
        fulfilment_id=row.fulfilment_id,
        store_code=row.store_code,
        code=row.code,
        qr_svg=qr_svg(row.store_code, row.code),
        issued_at=row.issued_at,
    )


def issue(session: Session, fulfilment: Fulfilment, *, now: datetime | None = None) -> PickupCode:
    """A new code for a ready pickup; the previous one (if any) is voided."""
    at = now or utcnow()
    assert fulfilment.store_code is not None
    session.execute(
        update(PickupCode)
        .where(PickupCode.fulfilment_id == fulfilment.id, PickupCode.active.is_(True))
        .values(active=False, voided_at=at)
    )
    while True:
        code = f"{secrets.randbelow(10**8):08d}"
        taken = session.scalar(
            select(PickupCode.id).where(
                PickupCode.store_code == fulfilment.store_code,
                PickupCode.code == code,
                PickupCode.active.is_(True),
            )
        )
        if taken is None:
            break
    row = PickupCode(
        fulfilment_id=fulfilment.id,
        store_code=fulfilment.store_code,
        code=code,
        active=True,
        issued_at=at,
    )
    session.add(row)
    session.flush()
    return row


def current(session: Session, *, fulfilment_id: int) -> PickupCodeRead | None:
    row = session.scalar(
        select(PickupCode).where(
            PickupCode.fulfilment_id == fulfilment_id, PickupCode.active.is_(True)
        )
    )
    return _read(row) if row else None


def reissue(session: Session, *, fulfilment_id: int, now: datetime | None = None) -> PickupCodeRead:
    """Re-send: a new code; the old one stops working at once."""
    from omniretail.omnichannel.fulfillment import service

    row = service.lock(session, fulfilment_id)
    if row.state not in service.COLLECTABLE:
        raise IllegalTransition(state=row.state, event="reissue_code")
    code = issue(session, row, now=now)
    notify(
        session,
        row,
        "pickup_ready",
        moment=f"pickup_ready:{code.code}",
        store=service.store_name(session, row),
        code=code.code,
        until=when(row.hold_until),
    )
    return _read(code)


@dataclass
class VerifyOutcome:
    ok: bool
    reason: str | None
    fulfilment_id: int | None
    failures_left: int

    def raise_for_failure(self) -> None:
        if self.ok or self.reason is None:
            return
        zh, en = REJECT[self.reason]
        raise PickupCodeRejected(
            self.reason,
            f"{zh}（本终端还可尝试 {self.failures_left} 次）",
            f"{en} ({self.failures_left} attempts left on this terminal)",
            failures_left=self.failures_left,
        )


def _parse(code: str) -> tuple[str | None, str]:
    text = code.strip()
    if text.startswith(QR_PREFIX + ":"):
        _, store, digits = text.split(":", 2)
        return store, digits
    return None, re.sub(r"\s+", "", text)


def _lock_terminal(session: Session, terminal: str) -> None:
    pg = session.get_bind().dialect.name == "postgresql"
    ins = (pg_insert if pg else sqlite_insert)(VerifyTerminal).values(terminal=terminal, attempts=0)
    session.execute(ins.on_conflict_do_nothing())
    q = (
        update(VerifyTerminal)
        .where(VerifyTerminal.terminal == terminal)
        .values(attempts=VerifyTerminal.attempts + 1)
    )
    session.execute(q)  # the row lock serialises verifications on one terminal


def verify(
    session: Session,
    *,
    store_code: str,
    code: str,
    terminal: str,
    staff: str | None = None,
    now: datetime | None = None,
) -> VerifyOutcome:
    """Check a code typed or scanned at ``terminal`` in ``store_code`` and, if it is right, hand
    the order over (stock committed, sale recorded). Raises TooManyAttempts when the terminal
    had 5 failures in the last 10 minutes; other failures come back as the outcome."""
    from omniretail.omnichannel.fulfillment import service

    at = now or utcnow()
    _lock_terminal(session, terminal)
    since = at - WINDOW
    failures = session.execute(
        select(func.count(), func.min(VerifyAttempt.at)).where(
            VerifyAttempt.terminal == terminal,
            VerifyAttempt.ok.is_(False),
            VerifyAttempt.at > since,
        )
    ).one()
    if failures[0] >= MAX_FAILURES:
        oldest = failures[1]
        if oldest is not None and oldest.tzinfo is None:
            from datetime import UTC

            oldest = oldest.replace(tzinfo=UTC)
        wait = int(((oldest or at) + WINDOW - at).total_seconds()) + 1
        raise TooManyAttempts(terminal, max(wait, 1))
    left = MAX_FAILURES - failures[0]

    def fail(reason: str, fid: int | None = None) -> VerifyOutcome:
        session.add(VerifyAttempt(terminal=terminal, store_code=store_code, ok=False, at=at))
        session.flush()
        return VerifyOutcome(False, reason, fid, left - 1)

    qr_store, digits = _parse(code)
    if qr_store is not None and qr_store != store_code:
        return fail("other_store")
    if not re.fullmatch(r"\d{8}", digits):
        return fail("wrong_code")
    row = session.scalar(
        select(PickupCode)
        .where(PickupCode.store_code == store_code, PickupCode.code == digits)
        .order_by(PickupCode.active.desc(), PickupCode.id.desc())
    )
    if row is None:
        return fail("wrong_code")
    if not row.active:
        return fail("already_used" if row.used_at else "voided", row.fulfilment_id)
    ful = session.get(Fulfilment, row.fulfilment_id, populate_existing=True)
    if ful is None:
        raise FulfilmentNotFound(row.fulfilment_id)
    if ful.hold_until is not None and _aware(ful.hold_until) <= at:
        return fail("expired", ful.id)
    # consume the code: exactly one concurrent verification gets rowcount 1
    res = session.execute(
        update(PickupCode)
        .where(PickupCode.id == row.id, PickupCode.active.is_(True))
        .values(active=False, used_at=at)
        .execution_options(synchronize_session=False)
    )
    if res.rowcount != 1:  # type: ignore[attr-defined]
        return fail("already_used", ful.id)
    locked = service.lock(session, ful.id)
    if locked.state not in service.COLLECTABLE:
        return fail("not_ready", ful.id)
    service.transition(
        session,
        locked,
        "hand_over",
        actor=staff or terminal,
        note=f"终端 {terminal} 核销提货码",
        now=at,
    )
    service.commit_stock(session, locked, at)
    from omniretail.omnichannel.fulfillment import returns

    returns.record_sale(
        session,
        order_ref=locked.order_ref,
        channel=locked.channel,
        customer_id=locked.customer_id,
        tender=locked.tender,
        lines=service.sold_lines(session, locked),
        source=f"ful:{locked.id}",
    )
    locked.completed_at, locked.handover_by, locked.handover_terminal = at, staff, terminal
    session.add(VerifyAttempt(terminal=terminal, store_code=store_code, ok=True, at=at))
    session.flush()
    return VerifyOutcome(True, None, ful.id, left)


def _aware(value: datetime) -> datetime:
    from datetime import UTC

    return value if value.tzinfo else value.replace(tzinfo=UTC)
