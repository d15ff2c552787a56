"""Manual must-link / cannot-link decisions, read from the operational store for a run."""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa
from sqlalchemy import inspect, select
from sqlalchemy.exc import SQLAlchemyError

from omniretail.cdp.identity.models import IdentityConstraint
from omniretail.platform.engine.base import AnalyticsEngine

MUST_LINK = "must_link"
CANNOT_LINK = "cannot_link"


@dataclass(frozen=True)
class Constraint:
    id: int
    kind: str
    left_key: str
    right_key: str
    created_by: str = "system"
    reason: str | None = None


def active_constraints() -> list[Constraint]:
    """Every active constraint in the operational store (none when it is not set up yet)."""
    from omniretail.platform.db import get_engine, session_scope

    try:
        if not inspect(get_engine()).has_table(IdentityConstraint.__tablename__):
            return []
        with session_scope() as s:
            rows = s.scalars(
                select(IdentityConstraint)
                .where(IdentityConstraint.active.is_(True))
                .order_by(IdentityConstraint.id)
            ).all()
            return [
                Constraint(
                    id=r.id,
                    kind=r.kind,
                    left_key=r.left_key,
                    right_key=r.right_key,
                    created_by=r.created_by,
                    reason=r.reason,
                )
                for r in rows
            ]
    except SQLAlchemyError:
        return []


def register_constraints(
    engine: AnalyticsEngine, constraints: list[Constraint], manual_weight: float
) -> dict[str, int]:
    """``_idr_manual_edges`` (must-links as edges) and ``_idr_cannot`` (node pairs)."""
    engine.register_arrow(
        "_idr_constraints",
        pa.table(
            {
                "id": pa.array([c.id for c in constraints], pa.int64()),
                "kind": pa.array([c.kind for c in constraints], pa.string()),
                "left_key": pa.array([c.left_key for c in constraints], pa.string()),
                "right_key": pa.array([c.right_key for c in constraints], pa.string()),
                "created_by": pa.array([c.created_by for c in constraints], pa.string()),
                "reason": pa.array([c.reason for c in constraints], pa.string()),
            }
        ),
        scratch=True,
    )
    pairs = """
        SELECT c.*, a.node AS left_node, b.node AS right_node
        FROM _idr_constraints c
        JOIN _idr_records a ON a.record_key = c.left_key
        JOIN _idr_records b ON b.record_key = c.right_key
        WHERE a.node <> b.node
    """
    engine.materialize(
        "_idr_manual_edges",
        f"""
        SELECT left_node, right_node, 'manual' AS rule,
               json_object('constraint_id', id, 'by', created_by, 'reason', reason) AS evidence,
               {float(manual_weight)} AS weight
        FROM ({pairs}) WHERE kind = '{MUST_LINK}'
        """,
        scratch=True,
    )
    engine.materialize(
        "_idr_cannot",
        f"SELECT left_node, right_node FROM ({pairs}) WHERE kind = '{CANNOT_LINK}'",
        scratch=True,
    )
    used = int(engine.scalar(f"SELECT count(*) FROM ({pairs})"))
    return {"constraints": len(constraints), "constraints_applied": used}
