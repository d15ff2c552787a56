"""What ingest holds about a person, for privacy requests: their rows in the landing Parquet
batches (rewritten on erasure: a members file loses the person's rows, an orders or events file
keeps its rows for the figures without the person's identifiers), the event inbox's payloads
and the quarantine's raw rows."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlglot import exp

from omniretail.cdp.ingest.expressions import check_expression
from omniretail.cdp.ingest.mapping import FieldSpec, Mapping, parse_mapping
from omniretail.cdp.ingest.models import LandingBatch
from omniretail.cdp.ingest.readers import META_COLUMNS
from omniretail.platform.config import get_settings
from omniretail.platform.privacy.files import _jsonable
from omniretail.platform.privacy.registry import ValueRule, hook, value_rule
from omniretail.platform.privacy.subject import Scrubber, Subject

IDENTIFIER_FIELDS = (
    "member_id",
    "phone",
    "email",
    "unionid",
    "openid",
    "platform_buyer_id",
    "wecom_external_userid",
)
KEY_FIELDS = ("record_key", "left_key", "right_key")
NOT_PERSONAL = ("observed_at",)  # the time a record was seen is also the order's time


def _columns(spec: FieldSpec | None) -> set[str]:
    if spec is None:
        return set()
    if spec.column is not None:
        return {spec.column.split(".")[0]}
    if spec.expr is not None:
        out = set()
        for c in check_expression(spec.expr).find_all(exp.Column):
            out.add(c.table or c.name)
        return out
    return set()


class _Layout:
    """Which raw columns of a batch name a person, and whether its rows are only people."""

    def __init__(self, mapping: Mapping | None) -> None:
        self.keys: set[str] = set()
        self.personal: set[str] = set()
        self.people_only = False
        if mapping is None:
            return
        kinds = {e.kind for e in mapping.entities}
        self.people_only = kinds <= {"identity", "identity_link"}
        for e in mapping.entities:
            if e.kind == "identity":
                self.keys |= _columns(e.source_record_id)
                for name, spec in e.fields.items():
                    cols = _columns(spec)
                    if name in IDENTIFIER_FIELDS:
                        self.keys |= cols
                    if name not in NOT_PERSONAL:
                        self.personal |= cols
                self.personal |= _columns(e.source_record_id)
            for name in KEY_FIELDS:
                self.keys |= _columns(e.fields.get(name))


def _mapping(batch: LandingBatch) -> Mapping | None:
    if not batch.mapping:
        return None
    try:
        return parse_mapping(batch.mapping, origin=batch.batch_id)
    except Exception:  # noqa: BLE001 - an old mapping that no longer parses: values only
        return None


def _is_mine(row: dict[str, Any], layout: _Layout, scrub: Scrubber, source: str) -> bool:
    subject = scrub.subject
    if any(subject.is_value(row.get(c), source) for c in layout.keys):
        return True
    return scrub.contains({k: v for k, v in row.items() if k not in META_COLUMNS})


def _batches(session: Session) -> list[tuple[LandingBatch, Path]]:
    root = get_settings().landing_dir
    out = []
    for b in session.scalars(select(LandingBatch).order_by(LandingBatch.id)):
        p = root / b.path
        if p.exists():
            out.append((b, p))
    return out


class LandingFiles:
    name = "landing"

    def export(self, session: Session, subject: Subject) -> dict[str, list[dict[str, Any]]]:
        out: dict[str, list[dict[str, Any]]] = {}
        for batch, path in _batches(session):
            layout = _Layout(_mapping(batch))
            scrub = Scrubber(subject, source=batch.source)
            rows = [
                _jsonable(r)
                for r in pq.read_table(path).to_pylist()
                if _is_mine(r, layout, scrub, batch.source)
            ]
            if rows:
                out[f"landing/{batch.path}"] = rows
        return out

    def erase(self, session: Session, subject: Subject) -> dict[str, int]:
        counts: dict[str, int] = {}
        for batch, path in _batches(session):
            layout = _Layout(_mapping(batch))
            scrub = Scrubber(subject, source=batch.source, with_names=True)
            table = pq.read_table(path)
            kept: list[dict[str, Any]] = []
            changed = dropped = 0
            for r in table.to_pylist():
                if not _is_mine(r, layout, scrub, batch.source):
                    kept.append(r)
                    continue
                changed += 1
                if layout.people_only:
                    dropped += 1
                    continue
                kept.append(
                    {
                        k: v
                        if k in META_COLUMNS
                        else (None if k in layout.personal else scrub.clean(v))
                        for k, v in r.items()
                    }
                )
            if not changed:
                continue
            schema = pa.schema(
                [f if f.name in META_COLUMNS else f.with_nullable(True) for f in table.schema],
                metadata=table.schema.metadata,
            )
            tmp = path.with_name(path.name + ".privacy-tmp")
            pq.write_table(pa.Table.from_pylist(kept, schema=schema), tmp)
            os.replace(tmp, path)
            batch.rows = max(0, batch.rows - dropped)
            detail = dict(batch.detail or {})
            detail["privacy_erased_rows"] = int(detail.get("privacy_erased_rows", 0)) + changed
            batch.detail = detail
            counts[batch.path] = changed
        session.flush()
        return counts


hook(LandingFiles())
value_rule(ValueRule("event_inbox", ("payload",), erase="scrub", owner="cdp.ingest"))
value_rule(ValueRule("quarantine", ("raw",), erase="delete", owner="cdp.ingest"))
