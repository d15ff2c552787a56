"""Run one fixed quarantined row through the data contract again, at once (修正后重新校验).

A landed row is re-read by the same standardizer as the pipeline's, on a scratch DuckDB in
memory holding only that row (its landed lineage, the fixed values swapped in as an override),
with the mapping its batch was imported with. The answer is the quarantine reason it would
get, or None when the row passes; the row checks that compare it with other rows (a duplicate
key) run at the next pipeline run. An event refused by the tracking API is checked by the
API's own rules.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from omniretail.cdp.ingest import events
from omniretail.cdp.ingest.mapping import parse_mapping
from omniretail.cdp.ingest.models import LandingBatch, QuarantineRecord
from omniretail.cdp.quality.junk import load_junk
from omniretail.cdp.quality.standardize import Override, SourceStandardizer
from omniretail.platform.config import get_settings
from omniretail.platform.engine.dialect import string
from omniretail.platform.engine.duckdb import DuckDBEngine
from omniretail.platform.errors import InvalidInput
from omniretail.platform.i18n import N_


def is_event(rec: QuarantineRecord) -> bool:
    """A tracking-API event (its batch id is the API's, not a landed file's)."""
    return rec.batch_id.startswith("api")


def is_unreadable(rec: QuarantineRecord) -> bool:
    """A line of a file that could not be read as a row: fixed by importing the file again."""
    return rec.reason.startswith("unreadable_row")


def problem_of(session: Session, rec: QuarantineRecord, raw: dict[str, Any]) -> str | None:
    """Why ``raw`` (the fixed row of ``rec``) would be quarantined again, or None."""
    if is_event(rec):
        return events.problem_of(raw)
    if is_unreadable(rec):
        raise InvalidInput(
            "this line could not be read as a row; correct the file and import it again",
            field="raw",
            message=N_(
                "This line could not be read as a row: correct the file and import it again"
            ),
        )
    batch = session.scalar(select(LandingBatch).where(LandingBatch.batch_id == rec.batch_id))
    if batch is None or batch.mapping is None:
        raise InvalidInput(
            f"the batch {rec.batch_id} of this row is no longer landed",
            field="batch_id",
            message=N_("The import batch %(batch)s of this row is no longer landed."),
            params={"batch": rec.batch_id},
        )
    settings = get_settings()
    mapping = parse_mapping(batch.mapping, origin=f"{batch.source} mapping")
    landed = settings.landing_dir / batch.path
    with tempfile.TemporaryDirectory(prefix="recheck-") as tmp:
        one = Path(tmp) / "row.parquet"
        with DuckDBEngine(threads=1) as engine:
            engine.execute(
                f"COPY (SELECT * FROM read_parquet({string(str(landed))}) WHERE _row = ?) "
                f"TO {string(str(one))} (FORMAT PARQUET)",
                [rec.row],
            )
            result = SourceStandardizer(
                engine,
                source=rec.source,
                mapping=mapping,
                paths=[str(one)],
                overrides=[Override(rec.batch_id, rec.row, raw)],
                junk=load_junk(settings),
            ).run()
    if result.quarantine:
        return str(result.quarantine[0]["reason"])
    if not result.stats.get("rows_read"):
        raise InvalidInput(
            f"row {rec.row} is not in the landed batch {rec.batch_id}",
            field="row",
            message=N_("Row %(row)s is not in the landed batch %(batch)s."),
            params={"row": rec.row, "batch": rec.batch_id},
        )
    return None
