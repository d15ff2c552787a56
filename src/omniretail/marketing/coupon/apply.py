"""The three writes of a redemption — coupon ``issued → redeemed``, the ledger row, the
template counter — applied together or not at all.

Each write is conditional: the coupon moves only ``WHERE status = 'issued'``, the counter only
``WHERE redeemed_count < redeem_limit``, the ledger row only when both moved. On PostgreSQL the
three are ONE statement (data-modifying CTEs, one round trip instead of three); elsewhere
(SQLite) three statements. Either way the counter, the row every redemption of the template
shares, is touched last, so its lock is held only until the commit that follows.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    bindparam,
    delete,
    exists,
    func,
    literal_column,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from omniretail.marketing.coupon.lookup import COUPON, LEDGER, TEMPLATE

_C, _T, _L = COUPON.c, TEMPLATE.c, LEDGER.c
_LEDGER_FIELDS = (
    "coupon_id",
    "template_id",
    "customer_id",
    "kind",
    "idempotency_key",
    "order_id",
    "store_code",
    "channel_code",
    "discount",
    "at",
    "result",
)

_MARK = (
    update(COUPON)
    .where(_C.id == bindparam("p_coupon_id"), _C.status == "issued")
    .values(status="redeemed", redeemed_at=bindparam("p_at"), order_id=bindparam("p_order_id"))
)
_UNMARK = (
    update(COUPON)
    .where(_C.id == bindparam("p_coupon_id"))
    .values(status="issued", redeemed_at=None, order_id=None)
)
_KEY = ["coupon_id", "kind", "idempotency_key"]
# a retry of a request that won meanwhile (the row lock waited, then a reversal restored the
# coupon) must not fail on the ledger's unique key: the row is not written and the caller
# replays the stored answer
_APPEND = (
    sqlite.insert(LEDGER)
    .values({f: bindparam(f"p_{f}") for f in _LEDGER_FIELDS})
    .on_conflict_do_nothing(index_elements=_KEY)
)
_UNCOUNT = (
    update(TEMPLATE)
    .where(_T.id == bindparam("p_template_id"))
    .values(redeemed_count=_T.redeemed_count - 1)
)
_TAKE_BACK = delete(LEDGER).where(
    _L.coupon_id == bindparam("p_coupon_id"),
    _L.kind == "redeem",
    _L.idempotency_key == bindparam("p_idempotency_key"),
)
_COUNT = (
    update(TEMPLATE)
    .where(_T.id == bindparam("p_template_id"))
    .values(redeemed_count=_T.redeemed_count + 1)
)
_COUNT_LIMITED = _COUNT.where(_T.redeemed_count < _T.redeem_limit)


def _one_statement() -> Any:
    # constants are SQL literals here: SQLAlchemy does not carry anonymous bound values of DML
    # inside a CTE through its compiled-statement cache
    moved = (
        update(COUPON)
        .where(_C.id == bindparam("p_coupon_id"), _C.status == literal_column("'issued'"))
        .values(
            status=literal_column("'redeemed'"),
            redeemed_at=bindparam("p_at"),
            order_id=bindparam("p_order_id"),
        )
        .returning(_C.id)
        .cte("moved")
    )
    counted = (
        update(TEMPLATE)
        .where(
            _T.id == bindparam("p_template_id"),
            (_T.redeem_limit.is_(None)) | (_T.redeemed_count < _T.redeem_limit),
            exists(select(moved.c.id)),
        )
        .values(redeemed_count=_T.redeemed_count + literal_column("1"), updated_at=func.now())
        .returning(_T.id)
        .cte("counted")
    )
    values = select(*(bindparam(f"p_{f}", type_=_L[f].type).label(f) for f in _LEDGER_FIELDS))
    values = values.select_from(counted)
    entry = (
        postgresql.insert(LEDGER)
        .from_select(list(_LEDGER_FIELDS), values)
        .on_conflict_do_nothing(index_elements=_KEY)
        .returning(_L.id)
        .cte("entry")
    )
    return select(
        select(func.count()).select_from(moved).scalar_subquery(),
        select(func.count()).select_from(counted).scalar_subquery(),
        select(func.count()).select_from(entry).scalar_subquery(),
    ).add_cte(moved, counted, entry)


_ONE_STATEMENT = _one_statement()


def record_redemption(
    session: Session, *, ledger_row: dict[str, Any], limited: bool, at: datetime
) -> str | None:
    """Apply the redemption described by ``ledger_row``; returns None, or why nothing was
    applied: ``already_used`` (the coupon is no longer issued), ``limit_reached``, or
    ``replay`` (a ledger row with this idempotency key exists: the request was applied
    before, its answer is to be replayed)."""
    # every parameter is named p_*: a key named like a column would be added to an UPDATE's SET
    params = {f"p_{k}": v for k, v in ledger_row.items()} | {"p_at": at}
    if session.get_bind().dialect.name == "postgresql":
        moved, counted, entered = session.execute(_ONE_STATEMENT, params).one()
        if not moved:
            return "already_used"
        if not counted:
            session.execute(_UNMARK, params)  # nothing else was written
            return "limit_reached"
        if not entered:
            session.execute(_UNMARK, params)
            session.execute(_UNCOUNT, params)
            return "replay"
        return None
    if not session.execute(_MARK, params).rowcount:  # type: ignore[attr-defined]
        return "already_used"
    if not session.execute(_APPEND, params).rowcount:  # type: ignore[attr-defined]
        session.execute(_UNMARK, params)
        return "replay"
    if not session.execute(_COUNT_LIMITED if limited else _COUNT, params).rowcount:  # type: ignore[attr-defined]
        session.execute(_TAKE_BACK, params)
        session.execute(_UNMARK, params)
        return "limit_reached"
    return None
