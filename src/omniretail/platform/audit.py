"""Append an entry to the audit trail (flush only; the caller's transaction commits it)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from omniretail.platform.auth.models import AuditLog


def record(
    session: Session,
    *,
    actor: str,
    action: str,
    object_type: str,
    object_id: str,
    detail: dict[str, Any] | None = None,
    reason: str | None = None,
) -> AuditLog:
    entry = AuditLog(
        actor=actor,
        action=action,
        object_type=object_type,
        object_id=object_id,
        detail=detail,
        reason=reason,
    )
    session.add(entry)
    session.flush()
    return entry
