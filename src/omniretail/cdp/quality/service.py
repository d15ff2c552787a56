"""Quarantine and quality report: list, fix and re-process rejected records; per-source counts."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from omniretail.cdp.ingest import events
from omniretail.cdp.ingest.models import QUARANTINE_STATUSES, LandingBatch, QuarantineRecord
from omniretail.cdp.quality import recheck
from omniretail.cdp.quality.errors import AlreadyHandled, QuarantineNotFound, StillRejected
from omniretail.cdp.quality.models import QualityStats
from omniretail.cdp.quality.standardize import Override, SourceResult
from omniretail.platform import audit
from omniretail.platform.db import utcnow
from omniretail.platform.errors import InvalidInput
from omniretail.platform.i18n import N_

HANDLED = ("reprocessed", "discarded")  # nothing left to do on these records


def overrides(session: Session) -> dict[str, list[Override]]:
    """Fixed records replace their landed row when the source is standardized again."""
    out: dict[str, list[Override]] = {}
    for rec in session.scalars(
        select(QuarantineRecord).where(QuarantineRecord.status.in_(("fixed", "reprocessed")))
    ):
        out.setdefault(rec.source, []).append(Override(rec.batch_id, rec.row, dict(rec.raw)))
    return out


def sync_quarantine(session: Session, result: SourceResult) -> dict[str, int]:
    """Bring the quarantine in line with a standardize run of one source (idempotent)."""
    existing = {
        (r.batch_id, r.row): r
        for r in session.scalars(
            select(QuarantineRecord).where(QuarantineRecord.source == result.source)
        )
        if r.batch_id in result.batch_ids  # API rejections are re-sent by reprocess_events
    }
    seen: set[tuple[str, int]] = set()
    added = reopened = 0
    new_rows: list[dict[str, Any]] = []
    for row in result.quarantine:
        key = (str(row["batch_id"]), int(row["row"]))
        seen.add(key)
        rec = existing.get(key)
        if rec is None:
            new_rows.append(
                {
                    "source": result.source,
                    "batch_id": key[0],
                    "file": str(row["file"]),
                    "row": key[1],
                    "reason": str(row["reason"]),
                    "raw": row["raw"],
                    "status": "open",
                }
            )
            added += 1
            continue
        if rec.status in ("fixed", "reprocessed"):
            rec.status = "open"
            rec.note = f"still rejected after the fix: {row['reason']}"
            reopened += 1
        elif rec.reason != row["reason"]:
            rec.raw = row["raw"]
        rec.reason = str(row["reason"])
    if new_rows:
        session.execute(insert(QuarantineRecord), new_rows)
    reprocessed = 0
    for key, rec in existing.items():
        if key not in seen and rec.status in ("open", "fixed"):
            rec.status = "reprocessed"
            rec.note = "accepted on re-processing"
            reprocessed += 1
    session.flush()
    return {"added": added, "reopened": reopened, "reprocessed": reprocessed}


def merge_results(results: list[SourceResult]) -> list[SourceResult]:
    """One result per source (a source with several mappings has several parts)."""
    merged: dict[str, SourceResult] = {}
    for r in results:
        m = merged.get(r.source)
        if m is None:
            merged[r.source] = SourceResult(r.source, stats=_copy_stats(r.stats))
            continue
        for k, v in r.stats.items():
            if isinstance(v, int):
                m.stats[k] = m.stats.get(k, 0) + v
            elif isinstance(v, dict):
                into = m.stats.setdefault(k, {})
                for kk, vv in v.items():
                    if isinstance(vv, int):
                        into[kk] = into.get(kk, 0) + vv
                    else:
                        into[kk] = vv
    return list(merged.values())


def _copy_stats(stats: dict[str, Any]) -> dict[str, Any]:
    return {k: (dict(v) if isinstance(v, dict) else v) for k, v in stats.items()}


def save_stats(session: Session, result: SourceResult, extra_fixes: dict[str, int]) -> None:
    stats = dict(result.stats)
    by_rule = dict(stats.get("fixes_by_rule", {}))
    for rule, n in extra_fixes.items():
        by_rule[rule] = by_rule.get(rule, 0) + n
    row = session.get(QualityStats, result.source) or QualityStats(source=result.source)
    row.rows_read = stats["rows_read"]
    row.accepted = stats["accepted"]
    row.fixed = stats["fixed"]
    row.filled = stats["filled"] + extra_fixes.get("filled:province", 0)
    row.duplicates = stats["duplicates"]
    row.quarantined = stats["quarantined"]
    row.quarantined_by_reason = stats["quarantined_by_reason"]
    row.fixes_by_rule = by_rule
    row.classified = stats["classified"]
    row.computed_at = utcnow()
    session.add(row)
    session.flush()


def report(session: Session, *, source: str | None = None) -> list[dict[str, Any]]:
    """Per source: rows landed and read, accepted, fixed, filled, duplicates, quarantined."""
    landed = dict(
        session.execute(
            select(LandingBatch.source, func.sum(LandingBatch.rows)).group_by(LandingBatch.source)
        ).all()
    )
    open_q = dict(
        session.execute(
            select(QuarantineRecord.source, func.count())
            .where(QuarantineRecord.status.not_in(HANDLED))
            .group_by(QuarantineRecord.source)
        ).all()
    )
    out = []
    for st in session.scalars(select(QualityStats).order_by(QualityStats.source)):
        if source and st.source != source:
            continue
        out.append(
            {
                "source": st.source,
                "rows_landed": int(landed.get(st.source) or 0),
                "rows_read": st.rows_read,
                "accepted": st.accepted,
                "fixed": st.fixed,
                "filled": st.filled,
                "duplicates": st.duplicates,
                "quarantined": st.quarantined,
                "quarantine_open": int(open_q.get(st.source) or 0),
                "quarantined_by_reason": st.quarantined_by_reason,
                "fixes_by_rule": st.fixes_by_rule,
                "classified": st.classified,
                "computed_at": st.computed_at.isoformat() if st.computed_at else None,
            }
        )
    pending = sorted(set(landed) - {r["source"] for r in out})
    for s in pending:
        if not source or s == source:
            out.append(
                {"source": s, "rows_landed": int(landed[s] or 0), "status": "not standardized yet"}
            )
    return out


def list_quarantine(
    session: Session,
    *,
    source: str | None = None,
    status: str | None = None,
    reason: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[QuarantineRecord]:
    if status and status not in QUARANTINE_STATUSES:
        raise InvalidInput(
            f"unknown status {status!r}; choose {', '.join(QUARANTINE_STATUSES)}", field="status"
        )
    stmt = select(QuarantineRecord).order_by(QuarantineRecord.id).limit(limit).offset(offset)
    if source:
        stmt = stmt.where(QuarantineRecord.source == source)
    if status:
        stmt = stmt.where(QuarantineRecord.status == status)
    if reason:
        stmt = stmt.where(QuarantineRecord.reason == reason)
    return list(session.scalars(stmt))


def get_record(session: Session, *, record_id: int) -> QuarantineRecord:
    rec = session.get(QuarantineRecord, record_id)
    if rec is None:
        raise QuarantineNotFound(f"no quarantined record {record_id}", field="id")
    return rec


def fix_record(
    session: Session,
    *,
    record_id: int,
    raw: dict[str, Any] | None = None,
    set_values: dict[str, Any] | None = None,
    note: str | None = None,
) -> QuarantineRecord:
    """Replace the raw row (``raw``) or some of its values (``set_values``); re-processing then
    reads the fixed row instead of the landed one."""
    rec = get_record(session, record_id=record_id)
    if raw is None and not set_values:
        raise InvalidInput("give the fixed raw row or at least one value to set", field="raw")
    new = dict(raw if raw is not None else rec.raw)
    unknown = [k for k in (set_values or {}) if k not in new]
    if unknown and not rec.batch_id.startswith("api"):  # an API event may gain a property
        raise InvalidInput(
            f"the raw row has no column {unknown[0]!r} (columns: {', '.join(new)})", field="set"
        )
    new.update(set_values or {})
    if raw is not None and set(raw) != set(rec.raw):
        missing = sorted(set(rec.raw) - set(raw))
        if missing:
            raise InvalidInput(f"the fixed row lacks the column {missing[0]!r}", field="raw")
    rec.raw = new
    rec.status = "fixed"
    rec.note = note
    session.flush()
    return rec


def record_dict(rec: QuarantineRecord) -> dict[str, Any]:
    return {
        "id": rec.id,
        "source": rec.source,
        "batch_id": rec.batch_id,
        "file": rec.file,
        "row": rec.row,
        "reason": rec.reason,
        "status": rec.status,
        "note": rec.note,
        "raw": rec.raw,
    }


def reprocess_events(session: Session) -> dict[str, int]:
    """Fixed events rejected by the tracking API go (again) through its checks into the inbox."""
    out = {"reprocessed": 0, "still_rejected": 0}
    fixed = session.scalars(
        select(QuarantineRecord).where(
            QuarantineRecord.status == "fixed", QuarantineRecord.batch_id.like("api%")
        )
    )
    conn = session.connection()
    for rec in list(fixed):
        reason = events.problem_of(dict(rec.raw))
        if reason is not None:
            rec.status, rec.reason = "open", reason
            rec.note = f"still rejected after the fix: {reason}"
            out["still_rejected"] += 1
            continue
        events.store_events(
            conn, source=rec.source, events=[dict(rec.raw)], endpoint=rec.file, count_received=False
        )
        rec.status, rec.note = "reprocessed", "accepted into the event inbox"
        out["reprocessed"] += 1
    session.flush()
    return out


def source_purchases(engine: Any, *, source: str) -> tuple[Any, dict[str, Any]]:
    """The goods lines of paid orders of one imported source, and what was excluded (see
    ``cdp.quality.purchases``): for the model commands' ``--source``."""
    from omniretail.cdp.quality.purchases import source_purchases as run

    return run(engine, source=source)


def save_batch_stats(session: Session, by_batch: dict[str, dict[str, int]]) -> None:
    """Keep what each landing batch's rows became in the latest standardize run (in the
    batch's ``detail``: rows read, accepted, fixed, duplicates, quarantined)."""
    if not by_batch:
        return
    stamp = utcnow().isoformat()
    for batch in session.scalars(
        select(LandingBatch).where(LandingBatch.batch_id.in_(list(by_batch)))
    ):
        batch.detail = {**(batch.detail or {}), "quality": by_batch[batch.batch_id], "at": stamp}
    session.flush()


def source_batches(session: Session) -> dict[str, list[dict[str, Any]]]:
    """Per source, its landing batches (newest first) with their rows landed, what the latest
    run made of them and how many of their quarantined records are still to be handled."""
    still_open = dict(
        session.execute(
            select(QuarantineRecord.batch_id, func.count())
            .where(QuarantineRecord.status.not_in(HANDLED))
            .group_by(QuarantineRecord.batch_id)
        ).all()
    )
    out: dict[str, list[dict[str, Any]]] = {}
    for b in session.scalars(select(LandingBatch).order_by(LandingBatch.id.desc())):
        detail = b.detail or {}
        out.setdefault(b.source, []).append(
            {
                "batch_id": b.batch_id,
                "file": b.file,
                "rows_landed": b.rows,
                "status": b.status,
                "loaded_at": b.loaded_at,
                "counts": detail.get("quality"),
                "open": int(still_open.get(b.batch_id) or 0),
            }
        )
    return out


def quarantine_counts(session: Session) -> dict[str, int]:
    """Records per status (open, fixed, reprocessed, discarded)."""
    rows = session.execute(
        select(QuarantineRecord.status, func.count()).group_by(QuarantineRecord.status)
    ).all()
    counts = dict.fromkeys(QUARANTINE_STATUSES, 0)
    counts.update({str(s): int(n) for s, n in rows})
    return counts


def quarantine_reasons(session: Session) -> list[tuple[str, int]]:
    """Reasons of the records still to be handled, most frequent first."""
    rows = session.execute(
        select(QuarantineRecord.reason, func.count())
        .where(QuarantineRecord.status.not_in(HANDLED))
        .group_by(QuarantineRecord.reason)
        .order_by(func.count().desc(), QuarantineRecord.reason)
    ).all()
    return [(str(r), int(n)) for r, n in rows]


def count_quarantine(
    session: Session,
    *,
    source: str | None = None,
    status: str | None = None,
    reason: str | None = None,
) -> int:
    stmt = select(func.count()).select_from(QuarantineRecord)
    if source:
        stmt = stmt.where(QuarantineRecord.source == source)
    if status:
        stmt = stmt.where(QuarantineRecord.status == status)
    if reason:
        stmt = stmt.where(QuarantineRecord.reason == reason)
    return int(session.scalar(stmt) or 0)


def _open_record(session: Session, record_id: int) -> QuarantineRecord:
    rec = get_record(session, record_id=record_id)
    if rec.status in HANDLED:
        raise AlreadyHandled(
            f"record {record_id} is already {rec.status}",
            field="id",
            message=N_("This record is already handled (%(status)s)."),
            params={"status": rec.status},
        )
    return rec


def fix_and_check(
    session: Session, *, record_id: int, values: dict[str, Any], actor: str, note: str | None
) -> QuarantineRecord:
    """Fix some values of a quarantined row and run it through the data contract at once.

    A row that still fails raises :class:`StillRejected` and nothing is saved. A passing row
    is ``fixed`` (the next standardize run reads it instead of the landed row); a passing
    tracking event goes into the event inbox at once (``reprocessed``). Audited.
    """
    rec = _open_record(session, record_id)
    if not values:
        raise InvalidInput(
            "change at least one value", field="set", message=N_("Change at least one value.")
        )
    unknown = [k for k in values if k not in rec.raw]
    if unknown and not recheck.is_event(rec):
        raise InvalidInput(
            f"the raw row has no column {unknown[0]!r}",
            field="set",
            message=N_("The raw row has no column %(column)s."),
            params={"column": unknown[0]},
        )
    before = dict(rec.raw)
    fixed = {**before, **values}
    reason = recheck.problem_of(session, rec, fixed)
    if reason is not None:
        raise StillRejected(reason)
    rec.raw = fixed
    rec.note = note
    if recheck.is_event(rec):
        events.store_events(
            session.connection(),
            source=rec.source,
            events=[fixed],
            endpoint=rec.file,
            count_received=False,
        )
        rec.status = "reprocessed"
    else:
        rec.status = "fixed"
    audit.record(
        session,
        actor=actor,
        action="quality.fix",
        object_type="quarantine",
        object_id=str(rec.id),
        detail={
            "source": rec.source,
            "batch_id": rec.batch_id,
            "row": rec.row,
            "changed": {k: [before.get(k), v] for k, v in values.items()},
            "status": rec.status,
        },
        reason=note,
    )
    session.flush()
    return rec


def discard_record(session: Session, *, record_id: int, actor: str, note: str) -> QuarantineRecord:
    """Give up on a quarantined record (a test row, a row no one can correct): it leaves the
    open list and stays out of the std_ tables; later runs keep it discarded. Audited."""
    if not note.strip():
        raise InvalidInput(
            "say why the record is discarded",
            field="note",
            message=N_("Say why the record is discarded."),
        )
    rec = _open_record(session, record_id)
    rec.status = "discarded"
    rec.note = note.strip()
    audit.record(
        session,
        actor=actor,
        action="quality.discard",
        object_type="quarantine",
        object_id=str(rec.id),
        detail={
            "source": rec.source,
            "batch_id": rec.batch_id,
            "row": rec.row,
            "reason": rec.reason,
        },
        reason=rec.note,
    )
    session.flush()
    return rec
