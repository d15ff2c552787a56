"""Export and erase one person: the procedure behind the CLI, the API and the console.

1. the CDP's resolver finds the person: their customer ids (merged ones too), records,
   identifiers and names (:class:`Subject`);
2. each registered :class:`TableRule` / :class:`ValueRule` is applied to the operational store,
   each domain :class:`Hook` (landing files, ...) runs, and the analytics files are scrubbed;
3. on erasure, the identifiers go to the suppression list and the request to the audit trail
   (who, when, why, what was changed — counts, never the erased values).

The caller owns the transaction (commit after :func:`erase`); on SQLite call
:func:`compact_store` afterwards so deleted values do not linger in free pages.
"""

from __future__ import annotations

import json
import secrets
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Table, delete, func, or_, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from omniretail.platform import audit
from omniretail.platform.db import Base, import_all_models
from omniretail.platform.errors import NotFound
from omniretail.platform.privacy import files, registry, suppression
from omniretail.platform.privacy.files import _jsonable
from omniretail.platform.privacy.registry import TableRule, ValueRule
from omniretail.platform.privacy.subject import Scrubber, Subject, tombstone


class UnknownCustomer(NotFound):
    pass


def resolve(session: Session, customer_id: str) -> Subject:
    reg = registry.discover()
    if reg.resolver is None:  # pragma: no cover - the CDP always registers one
        raise RuntimeError("no privacy subject resolver registered")
    return reg.resolver(session, customer_id.strip())


def _table(name: str) -> Table:
    import_all_models()
    return Base.metadata.tables[name]


def _rule_rows(session: Session, rule: TableRule, subject: Subject) -> tuple[Table, Any]:
    t = _table(rule.table)
    if rule.via is not None:
        fk, parent_name = rule.via
        parent = _table(parent_name)
        parents = select(parent.c.id).where(
            parent.c[rule.customer_column].in_(subject.customer_ids)
        )
        return t, t.c[fk].in_(parents)
    return t, t.c[rule.customer_column].in_(subject.customer_ids)


def _value_condition(t: Table, rule: ValueRule, subject: Subject) -> Any:
    needles = [f"%{p}%" for p in subject.phones] + [f"%{i}%" for i in subject.identifiers]
    if not needles:
        return None
    from sqlalchemy import String, cast

    return or_(*[cast(t.c[c], String).like(n) for c in rule.columns for n in needles])


def _rows_of(session: Session, t: Table, cond: Any) -> list[dict[str, Any]]:
    return [
        {k: _jsonable(v) for k, v in row._mapping.items()}
        for row in session.execute(select(t).where(cond))
    ]


def export(session: Session, customer_id: str) -> dict[str, Any]:
    """Everything held about the person, as JSON-ready data (sections by place)."""
    subject = resolve(session, customer_id)
    reg = registry.discover()
    operational: dict[str, list[dict[str, Any]]] = {}
    for rule in reg.tables:
        t, cond = _rule_rows(session, rule, subject)
        rows = _rows_of(session, t, cond)
        if rows:
            operational.setdefault(rule.table, []).extend(rows)
    for vrule in reg.values:
        t = _table(vrule.table)
        cond = _value_condition(t, vrule, subject)
        if cond is None:
            continue
        scrub = Scrubber(subject)
        rows = [r for r in _rows_of(session, t, cond) if scrub.contains(r)]
        if rows:
            operational.setdefault(vrule.table, []).extend(rows)
    other: dict[str, Any] = {}
    for h in reg.hooks:
        part = h.export(session, subject)
        if part:
            other[h.name] = part
    result: dict[str, Any] = _jsonable(
        {
            "format": "omniretail.privacy.export/1",
            "customer_id": subject.customer_ids[0],
            "customer_ids": list(subject.customer_ids),
            "generated_at": datetime.now(UTC).isoformat(),
            "identifiers": {
                "record_keys": list(subject.record_keys),
                "phones": list(subject.phones),
                "other": list(subject.identifiers),
            },
            "operational_store": operational,
            "files": other,
            "analytics": files.export_analytics(subject),
        }
    )
    return result


def _not_null_blank(t: Table, column: str) -> Any:
    return None if t.c[column].nullable else ""


def _erase_rule(session: Session, rule: TableRule, subject: Subject) -> int:
    t, cond = _rule_rows(session, rule, subject)
    n = int(session.scalar(select(func.count()).select_from(t).where(cond)) or 0)
    if not n:
        return 0
    if rule.erase == "delete":
        session.execute(delete(t).where(cond))
        return n
    scrub = Scrubber(subject, with_names=True)
    pk = list(t.primary_key.columns)
    for row in session.execute(select(t).where(cond)).mappings().all():
        values: dict[str, Any] = {c: _not_null_blank(t, c) for c in rule.clear}
        for c in rule.scrub:
            v = row[c]
            if isinstance(v, str) and v[:1] in "[{":
                try:
                    values[c] = json.dumps(scrub.clean(json.loads(v)), ensure_ascii=False)
                    continue
                except ValueError:
                    pass
            values[c] = scrub.clean(v)
            if values[c] is None and not t.c[c].nullable:  # a key: unique, not derivable
                values[c] = subject.tombstones.get(str(row.get(rule.customer_column)), tombstone())
        if rule.via is None:
            old = row[rule.customer_column]
            values[rule.customer_column] = subject.tombstones.get(old, old)
        session.execute(update(t).where(*[c == row[c.name] for c in pk]).values(**values))
    return n


def _erase_values(session: Session, rule: ValueRule, subject: Subject) -> int:
    t = _table(rule.table)
    cond = _value_condition(t, rule, subject)
    if cond is None:
        return 0
    scrub = Scrubber(subject, with_names=True)
    pk = list(t.primary_key.columns)
    n = 0
    for row in session.execute(select(t).where(cond)).mappings().all():
        if not scrub.contains(dict(row)):
            continue
        n += 1
        where = [c == row[c.name] for c in pk]
        if rule.erase == "delete":
            session.execute(delete(t).where(*where))
            continue
        values: dict[str, Any] = {}
        for c in rule.columns:
            v = row[c]
            if isinstance(v, str) and v[:1] in "[{":
                try:
                    values[c] = json.dumps(scrub.clean(json.loads(v)), ensure_ascii=False)
                    continue
                except ValueError:
                    pass
            cleaned = scrub.clean(v)
            values[c] = tombstone() if cleaned is None and not t.c[c].nullable else cleaned
        session.execute(update(t).where(*where).values(**values))
    return n


def erase(
    session: Session, customer_id: str, *, actor: str, reason: str | None = None
) -> dict[str, Any]:
    """Erase the person everywhere (flushes; the caller commits). Returns what was changed."""
    subject = resolve(session, customer_id)
    reg = registry.discover()
    request_id = "pr_" + secrets.token_hex(8)
    operational: dict[str, int] = {}
    # value rules first: they find rows by identifiers that the table rules may remove
    for vrule in reg.values:
        n = _erase_values(session, vrule, subject)
        if n:
            operational[vrule.table] = operational.get(vrule.table, 0) + n
    for h in reg.hooks:
        for k, n in h.erase(session, subject).items():
            if n:
                operational[f"{h.name}:{k}"] = n
    # children (via) before their parents, deletions last
    ordered = sorted(reg.tables, key=lambda r: (r.via is None, r.erase == "delete"))
    for rule in ordered:
        n = _erase_rule(session, rule, subject)
        if n:
            operational[rule.table] = operational.get(rule.table, 0) + n
    session.flush()
    analytics = files.erase_analytics(subject)
    suppressed = suppression.suppress(session, subject, request_id=request_id)
    report: dict[str, Any] = {
        "request_id": request_id,
        "customer_id": subject.customer_ids[0],
        "customer_ids": list(subject.customer_ids),
        "records": len(subject.record_keys),
        "operational": operational,
        "analytics": analytics,
        "suppressed_identifiers": suppressed,
    }
    audit.record(
        session,
        actor=actor,
        action="privacy.erase",
        object_type="customer",
        object_id=subject.customer_ids[0],
        detail={k: v for k, v in report.items() if k != "customer_id"},
        reason=reason,
    )
    session.flush()
    return report


def record_export(session: Session, customer_id: str, *, actor: str, reason: str | None) -> None:
    """An export is a disclosure of personal data: it goes to the audit trail too."""
    audit.record(
        session,
        actor=actor,
        action="privacy.export",
        object_type="customer",
        object_id=customer_id,
        reason=reason,
    )


def compact_store(engine: Engine) -> None:
    """SQLite keeps deleted values in free pages until VACUUM; rewrite the file."""
    if engine.dialect.name != "sqlite":
        return
    with engine.connect() as conn:
        conn.exec_driver_sql("VACUUM")
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")


def requests(session: Session, *, limit: int = 50) -> list[dict[str, Any]]:
    """The latest privacy requests, from the audit trail."""
    from omniretail.platform.auth.models import AuditLog

    rows = session.scalars(
        select(AuditLog)
        .where(AuditLog.action.in_(("privacy.export", "privacy.erase")))
        .order_by(AuditLog.id.desc())
        .limit(limit)
    ).all()
    return [
        {
            "at": r.at,
            "actor": r.actor,
            "action": r.action,
            "customer_id": r.object_id,
            "reason": r.reason,
        }
        for r in rows
    ]
