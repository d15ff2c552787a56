"""A coupon, its template and this request's ledger row, read for validate/redeem/reverse.

One prebuilt Core statement (bound parameters, compiled once) returns plain rows that become
small dataclasses: the checkout path does not build ORM entities (per execution, SQLAlchemy
sets up a row processor for every entity loaded, which was most of a redemption's CPU), and
nothing here lands in the session's identity map. :func:`forget` expires identity-mapped
objects that a write made stale, for callers who hold ORM objects in the same session.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol, cast

from sqlalchemy import Table, bindparam, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from omniretail.marketing.coupon.models import Coupon, CouponRedemption, CouponTemplate

COUPON = cast(Table, Coupon.__table__)
TEMPLATE = cast(Table, CouponTemplate.__table__)
LEDGER = cast(Table, CouponRedemption.__table__)


class CouponLike(Protocol):
    """What the rules read of a coupon: the ORM ``Coupon`` or a :class:`CouponFacts`."""

    @property
    def customer_id(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def valid_from(self) -> datetime | None: ...
    @property
    def valid_until(self) -> datetime | None: ...


class TemplateLike(Protocol):
    """What the rules read of a template: the ORM ``CouponTemplate`` or a TemplateFacts."""

    @property
    def name(self) -> str: ...
    @property
    def name_en(self) -> str | None: ...
    @property
    def kind(self) -> str: ...
    @property
    def rules(self) -> dict[str, Any]: ...
    @property
    def scope(self) -> dict[str, Any]: ...
    @property
    def min_spend(self) -> Decimal: ...
    @property
    def stack_with_promotions(self) -> bool: ...
    @property
    def redeem_limit(self) -> int | None: ...
    @property
    def redeemed_count(self) -> int: ...
    @property
    def status(self) -> str: ...


@dataclass(slots=True)
class CouponFacts:
    id: int
    code: str
    customer_id: str
    status: str
    valid_from: datetime | None
    valid_until: datetime | None
    redeemed_at: datetime | None
    order_id: str | None


@dataclass(slots=True)
class TemplateFacts:
    id: int
    name: str
    name_en: str | None
    kind: str
    rules: dict[str, Any]
    scope: dict[str, Any]
    min_spend: Decimal
    stack_with_promotions: bool
    restore_on_return: bool
    redeem_limit: int | None
    redeemed_count: int
    status: str


@dataclass(slots=True)
class LedgerFacts:
    """A ledger row found by its idempotency key: what a replay needs."""

    order_id: str | None
    result: dict[str, Any]


_COUPON_COLS = [COUPON.c[f] for f in CouponFacts.__dataclass_fields__]
_TEMPLATE_COLS = [TEMPLATE.c[f] for f in TemplateFacts.__dataclass_fields__]
_NC, _NT = len(_COUPON_COLS), len(_TEMPLATE_COLS)
_DONE = LEDGER.alias("done")

LOAD = (
    select(*_COUPON_COLS, *_TEMPLATE_COLS)
    .select_from(COUPON.join(TEMPLATE, TEMPLATE.c.id == COUPON.c.template_id))
    .where(COUPON.c.code == bindparam("code"))
)
LOAD_LOCKED = (
    select(*_COUPON_COLS, *_TEMPLATE_COLS, _DONE.c.id, _DONE.c.order_id, _DONE.c.result)
    .select_from(
        COUPON.join(TEMPLATE, TEMPLATE.c.id == COUPON.c.template_id).outerjoin(
            _DONE,
            (_DONE.c.coupon_id == COUPON.c.id)
            & (_DONE.c.kind == bindparam("kind"))
            & (_DONE.c.idempotency_key == bindparam("key")),
        )
    )
    .where(COUPON.c.code == bindparam("code"))
    .with_for_update(of=COUPON)
)
EXISTING = select(LEDGER.c.order_id, LEDGER.c.result).where(
    LEDGER.c.coupon_id == bindparam("coupon_id"),
    LEDGER.c.kind == bindparam("kind"),
    LEDGER.c.idempotency_key == bindparam("key"),
)


def load(
    session: Session, norm_code: str, *, kind: str | None = None, key: str | None = None
) -> tuple[CouponFacts, TemplateFacts, LedgerFacts | None] | None:
    """Coupon + template (+ the ledger row of ``kind``/``key``) in one round trip; with
    ``kind`` the coupon row is locked (``FOR UPDATE OF coupon`` on PostgreSQL)."""
    if kind is None:
        row = session.execute(LOAD, {"code": norm_code}).first()
    else:
        row = session.execute(LOAD_LOCKED, {"code": norm_code, "kind": kind, "key": key}).first()
    if row is None:
        return None
    coupon = CouponFacts(*row[:_NC])
    template = TemplateFacts(*row[_NC : _NC + _NT])
    done = None
    if kind is not None and row[_NC + _NT] is not None:
        done = LedgerFacts(row[_NC + _NT + 1], row[_NC + _NT + 2])
    return coupon, template, done


def existing(session: Session, coupon_id: int, kind: str, key: str) -> LedgerFacts | None:
    row = session.execute(EXISTING, {"coupon_id": coupon_id, "kind": kind, "key": key}).first()
    return None if row is None else LedgerFacts(row[0], row[1])


def forget(session: Session, coupon_id: int, template_id: int) -> None:
    """Expire the coupon and template if this session holds them as ORM objects (the writes
    are plain UPDATEs that do not touch the identity map)."""
    for cls, pk in ((Coupon, coupon_id), (CouponTemplate, template_id)):
        obj = session.identity_map.get(identity_key(cls, pk))
        if obj is not None:
            session.expire(obj)
