"""The lean reserve and commit on PostgreSQL: one statement (a data-modifying CTE) per verb.

Each statement does the check, the level change, the reservation row(s) and the movement(s) in
one round trip, written once as SQL text (no ORM unit of work, no statement built per call).
They only handle the common case and say so; anything else goes the locking path in
``service`` (which raises the exact error):

* **reserve** — lines of *one* level (one location and SKU; the hot path: one line). The
  reservation rows are inserted first, ``ON CONFLICT (group_key, line_no) DO NOTHING``: a retry
  or a concurrent request with the same key waits on the unique index and then inserts
  nothing, so it changes nothing else either (its level update and movement read the inserted
  rows). The level update is conditional (``available >= q``: the row lock, the check and the
  change in one statement). When it is refused, the rows just inserted are deleted before the
  error — nothing half-applied, the transaction stays usable (the fulfilment service catches
  the error and goes on).
* **commit** — every active line of a key, when they are all at one level, none has expired
  and none is past its time. The reservation rows are updated first (their row locks serialise
  two commits of one key: the second finds them no longer active and does nothing), then the
  level (``on_hand >= q``), then the movements for what the level update took. If the level
  is short (a count found the units missing), the reservation rows are set back to active and
  the locking path raises ``InsufficientStock``.

Several levels in one request go the locking path: it locks the level rows in id order, which
one statement cannot promise, and concurrent multi-level requests would deadlock otherwise.
SQLite keeps the locking path's conditional updates (one writer at a time: no race to win).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import text
from sqlalchemy.orm import Session

from omniretail.omnichannel.inventory.schemas import ReservationLine, ReservationRead

__all__ = ["commit_one_level", "reserve_one_level"]

_RESERVE = text(
    """
WITH want AS (
    SELECT w.n - 1 AS line_no, w.q
    FROM unnest(CAST(:qs AS integer[])) WITH ORDINALITY AS w(q, n)
),
lv AS (
    SELECT l.id AS level_id
    FROM inv_level l
    JOIN inv_location c ON c.id = l.location_id
    JOIN inv_item i ON i.id = l.item_id
    WHERE c.code = CAST(:loc AS varchar) AND c.is_active AND i.sku = CAST(:sku AS varchar)
),
res AS (
    INSERT INTO inv_reservation
        (group_key, line_no, level_id, quantity, kind, status, expires_at, ref, created_at)
    SELECT CAST(:k AS varchar), want.line_no, lv.level_id, want.q, CAST(:kind AS varchar),
           'active', CAST(:until AS timestamptz), CAST(:ref AS varchar), CAST(:at AS timestamptz)
    FROM want CROSS JOIN lv
    ORDER BY want.line_no
    ON CONFLICT (group_key, line_no) DO NOTHING
    RETURNING id, level_id, quantity
),
up AS (
    UPDATE inv_level l
    SET reserved = l.reserved + CAST(:total AS integer), version = l.version + 1,
        updated_at = CAST(:at AS timestamptz)
    WHERE l.id = (SELECT level_id FROM lv)
      AND (SELECT count(*) FROM res) = CAST(:n AS integer)
      AND l.on_hand - l.reserved - l.safety_stock >= CAST(:total AS integer)
    RETURNING l.id
),
mv AS (
    INSERT INTO inv_movement (level_id, kind, d_on_hand, d_reserved, reservation_id, ref, at)
    SELECT res.level_id, 'reserve', 0, res.quantity, res.id, CAST(:ref AS varchar),
           CAST(:at AS timestamptz)
    FROM res JOIN up ON up.id = res.level_id
    RETURNING id
)
SELECT (SELECT level_id FROM lv) AS level_id,
       (SELECT array_agg(id) FROM res) AS inserted,
       (SELECT count(*) FROM up) AS held,
       (SELECT count(*) FROM mv) AS moved
"""
)

_UNRESERVE = text("DELETE FROM inv_reservation WHERE id = ANY(CAST(:ids AS bigint[]))")

_AVAILABLE = text(
    "SELECT on_hand - reserved - safety_stock FROM inv_level WHERE id = CAST(:lid AS bigint)"
)

_COMMIT = text(
    """
WITH r AS (
    UPDATE inv_reservation x
    SET status = 'committed', closed_at = CAST(:at AS timestamptz)
    WHERE x.group_key = CAST(:k AS varchar) AND x.status = 'active'
      AND (x.expires_at IS NULL OR x.expires_at > CAST(:at AS timestamptz))
      AND NOT EXISTS (
          SELECT 1 FROM inv_reservation y
          WHERE y.group_key = CAST(:k AS varchar)
            AND (y.status = 'expired'
                 OR (y.status = 'active' AND y.expires_at <= CAST(:at AS timestamptz))))
      AND (SELECT count(DISTINCT z.level_id) FROM inv_reservation z
           WHERE z.group_key = CAST(:k AS varchar) AND z.status = 'active') = 1
    RETURNING x.id, x.level_id, x.quantity, x.ref
),
t AS (
    SELECT level_id, sum(quantity) AS q FROM r GROUP BY level_id
),
up AS (
    UPDATE inv_level l
    SET on_hand = l.on_hand - t.q, reserved = l.reserved - t.q, version = l.version + 1,
        updated_at = CAST(:at AS timestamptz)
    FROM t
    WHERE l.id = t.level_id AND l.on_hand >= t.q
    RETURNING l.id
),
mv AS (
    INSERT INTO inv_movement (level_id, kind, d_on_hand, d_reserved, reservation_id, ref, at)
    SELECT r.level_id, 'commit', -r.quantity, -r.quantity, r.id,
           coalesce(CAST(:ref AS varchar), r.ref), CAST(:at AS timestamptz)
    FROM r JOIN up ON up.id = r.level_id
    RETURNING id
)
SELECT x.line_no, c.code, i.sku, x.quantity, x.kind,
       CASE WHEN r.id IS NULL THEN x.status ELSE 'committed' END AS status,
       x.expires_at, x.ref, r.id,
       (SELECT count(*) FROM up) AS held, (SELECT count(*) FROM mv) AS moved
FROM inv_reservation x
JOIN inv_level l ON l.id = x.level_id
JOIN inv_location c ON c.id = l.location_id
JOIN inv_item i ON i.id = l.item_id
LEFT JOIN r ON r.id = x.id
WHERE x.group_key = CAST(:k AS varchar)
ORDER BY x.line_no
"""
)

_UNCOMMIT = text(
    "UPDATE inv_reservation SET status = 'active', closed_at = NULL"
    " WHERE id = ANY(CAST(:ids AS bigint[]))"
)


class Refused(Exception):
    """The lean reserve was refused for want of stock (``available`` as read after the undo)."""

    def __init__(self, available: int) -> None:
        super().__init__(available)
        self.available = available


def reserve_one_level(
    session: Session,
    *,
    k: str,
    lines: Sequence[ReservationLine],
    kind: str,
    until: datetime | None,
    ref: str | None,
    at: datetime,
) -> list[ReservationRead] | None:
    """Hold ``lines`` (all at one location and SKU) in one statement. None: not applied, the
    locking path decides (no level row yet, or the key exists — a retry to replay or
    compare). Raises :class:`Refused` when the level has too little available (nothing left
    applied)."""
    qs = [ln.quantity for ln in lines]
    total = sum(qs)
    row = session.execute(
        _RESERVE,
        {
            "qs": qs,
            "loc": lines[0].location,
            "sku": lines[0].sku,
            "k": k,
            "kind": kind,
            "until": until,
            "ref": ref,
            "at": at,
            "total": total,
            "n": len(qs),
        },
    ).one()
    level_id, inserted, held, moved = row
    if level_id is None or not inserted:
        return None
    if len(inserted) != len(qs):  # the key exists with fewer lines: the locking path refuses
        session.execute(_UNRESERVE, {"ids": list(inserted)})
        return None
    if held != 1 or moved != len(qs):
        assert held == 0, held  # one level: held, or nothing moved
        assert moved == 0, moved
        session.execute(_UNRESERVE, {"ids": list(inserted)})
        available = session.execute(_AVAILABLE, {"lid": level_id}).scalar()
        raise Refused(max(int(available or 0), 0))
    return [
        ReservationRead(
            key=k,
            line_no=i,
            location=ln.location,
            sku=ln.sku,
            quantity=ln.quantity,
            kind=kind,
            status="active",
            expires_at=until,
            ref=ref,
        )
        for i, ln in enumerate(lines)
    ]


def commit_one_level(
    session: Session, *, k: str, ref: str | None, at: datetime
) -> list[ReservationRead] | None:
    """Commit every active line of ``k`` in one statement when they are all at one level and
    none is expired or past its time. None: nothing changed, the locking path decides (a
    retry of a committed key, an expired or closed key, several levels, a short level)."""
    rows = session.execute(_COMMIT, {"k": k, "ref": ref, "at": at}).all()
    done = [r[8] for r in rows if r[8] is not None]
    if not done:
        return None
    held, moved = rows[0][9], rows[0][10]
    if held != 1 or moved != len(done):
        assert held == 0, held
        assert moved == 0, moved
        session.execute(_UNCOMMIT, {"ids": done})
        return None
    return [
        ReservationRead(
            key=k,
            line_no=r[0],
            location=r[1],
            sku=r[2],
            quantity=r[3],
            kind=r[4],
            status=r[5],
            expires_at=r[6],
            ref=r[7],
        )
        for r in rows
    ]
