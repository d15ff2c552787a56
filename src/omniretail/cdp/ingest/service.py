"""Bulk import: land channel exports append-only, record each batch, never load a file twice."""

from __future__ import annotations

import re
import secrets
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from omniretail.cdp.ingest.errors import ImportFileError, MappingError
from omniretail.cdp.ingest.mapping import Mapping, load_mapping, parse_mapping
from omniretail.cdp.ingest.models import LandingBatch, QuarantineRecord
from omniretail.cdp.ingest.readers import land_file_with_rejects, sha256_of
from omniretail.platform.config import get_settings
from omniretail.platform.db import utcnow

SOURCE_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
EXTENSIONS = {
    "csv": (".csv", ".txt", ".tsv"),
    "xlsx": (".xlsx", ".xlsm"),
    "parquet": (".parquet",),
    "jsonl": (".jsonl", ".ndjson", ".json"),
    "json": (".json",),
}


@dataclass
class ImportResult:
    source: str
    file: str
    status: str  # landed | already_imported
    batch_id: str
    rows: int
    quarantined: int = 0  # records of the file that could not be read (in the quarantine)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def check_source_name(source: str) -> str:
    if not SOURCE_NAME.match(source):
        raise MappingError(
            f"source name {source!r}: use lower-case letters, digits and _ (start with a letter)",
            field="source",
        )
    return source


def new_batch_id() -> str:
    return utcnow().strftime("b%Y%m%dT%H%M%S") + "_" + secrets.token_hex(4)


def import_files(
    session: Session,
    *,
    source: str | None,
    mapping: Mapping,
    mapping_text: str,
    files: list[Path],
) -> list[ImportResult]:
    """Land each file as one batch under ``landing/<source>/``; skip files already loaded."""
    name = check_source_name(source or mapping.source or "")
    settings = get_settings()
    settings.ensure_dirs()
    results: list[ImportResult] = []
    for path in files:
        if not path.is_file():
            raise ImportFileError(f"file {path} not found", field="file")
        digest = sha256_of(path)
        seen = session.scalar(
            select(LandingBatch).where(LandingBatch.source == name, LandingBatch.sha256 == digest)
        )
        if seen is not None:
            results.append(
                ImportResult(name, path.name, "already_imported", seen.batch_id, seen.rows)
            )
            continue
        batch_id = new_batch_id()
        dest = settings.landing_dir / name / f"{batch_id}.parquet"
        rows, rejects = land_file_with_rejects(
            path, mapping.format, mapping.options, source=name, batch_id=batch_id, dest=dest
        )
        for r in rejects:
            session.add(
                QuarantineRecord(
                    source=name,
                    batch_id=batch_id,
                    file=path.name,
                    row=r.row,
                    reason=r.reason[:128],
                    raw={"line": r.line},
                    status="open",
                )
            )
        session.add(
            LandingBatch(
                batch_id=batch_id,
                source=name,
                file=path.name,
                sha256=digest,
                rows=rows,
                status="landed",
                path=str(dest.relative_to(settings.landing_dir)),
                mapping=mapping_text,
            )
        )
        session.flush()
        results.append(
            ImportResult(name, path.name, "landed", batch_id, rows, quarantined=len(rejects))
        )
    return results


def import_with_mapping_file(
    session: Session, *, source: str | None, mapping_path: Path, files: list[Path]
) -> list[ImportResult]:
    mapping, text = load_mapping(mapping_path)
    return import_files(session, source=source, mapping=mapping, mapping_text=text, files=files)


def world_channels(world: Path) -> list[tuple[str, Path, list[Path]]]:
    """(source, mapping path, export files) for every ``mappings/*.yaml`` of a demo world."""
    mdir, edir = world / "mappings", world / "exports"
    if not mdir.is_dir():
        raise ImportFileError(
            f"{world} has no mappings/ folder; is it a demo world?", field="world"
        )
    out: list[tuple[str, Path, list[Path]]] = []
    for mpath in sorted(mdir.glob("*.yaml")):
        mapping, _ = load_mapping(mpath)
        source = mapping.source or mpath.stem
        exts = EXTENSIONS[mapping.format]
        patterns = mapping.world_files or [f"{mpath.stem}/*"]
        files = sorted(
            {
                p
                for pat in patterns
                for p in edir.glob(pat)
                if p.is_file() and p.suffix.lower() in exts
            }
        )
        out.append((source, mpath, files))
    return out


def import_world(session: Session, *, world: Path) -> list[ImportResult]:
    results: list[ImportResult] = []
    for source, mpath, files in world_channels(world):
        results += import_with_mapping_file(session, source=source, mapping_path=mpath, files=files)
    return results


def batches(session: Session, *, source: str | None = None) -> list[LandingBatch]:
    q = select(LandingBatch).order_by(LandingBatch.id)
    if source:
        q = q.where(LandingBatch.source == source)
    return list(session.scalars(q))


def sources_with_batches(session: Session) -> dict[str, list[LandingBatch]]:
    out: dict[str, list[LandingBatch]] = {}
    for b in batches(session):
        if b.status == "landed":
            out.setdefault(b.source, []).append(b)
    return out


def batch_groups(session: Session) -> list[tuple[str, str, list[LandingBatch]]]:
    """(source, mapping text, batches): a source's batches grouped by the mapping they came with.

    Several exports of one source (e.g. POS members and POS sales) have their own mappings;
    re-importing a file with a changed mapping reinterprets only that mapping's group.
    """
    groups: dict[tuple[str, str], list[LandingBatch]] = {}
    for b in batches(session):
        if b.status == "landed" and b.mapping is not None:
            groups.setdefault((b.source, b.mapping), []).append(b)
    return [
        (src, text, bl)
        for (src, text), bl in sorted(groups.items(), key=lambda kv: (kv[0][0], kv[1][0].id))
    ]


def latest_mapping(batch_list: list[LandingBatch]) -> Mapping:
    """The mapping a source's rows are interpreted with: the one its latest batch came with."""
    last = batch_list[-1]
    if last.mapping is None:
        raise MappingError(f"batch {last.batch_id} has no mapping", field="mapping")
    return parse_mapping(last.mapping, origin=f"{last.source} mapping")


def landed_rows(session: Session) -> dict[str, int]:
    rows = session.execute(
        select(LandingBatch.source, func.sum(LandingBatch.rows)).group_by(LandingBatch.source)
    )
    return {s: int(n or 0) for s, n in rows}
