"""Incremental ``standardize`` of counter exports: each run reads only the batches landed since
the last one, and what it leaves — ``std_traffic_counts``, the quarantine (reasons, raw rows,
status), the source's statistics and each batch's counts — is what a full run over every batch
gives. The later batches carry every case that reaches back to earlier rows: an exact copy of
a kept row and of a quarantined row (duplicates), a kept key with other figures
(duplicate_key), a copy of a row quarantined duplicate_key, and a clean next day that reads no
earlier file at all. A changed landed file, a full refresh and a run with nothing new are
handled too."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from omniretail.cdp.ingest import service as ingest_service
from omniretail.cdp.ingest.mapping import shipped_mapping
from omniretail.cdp.ingest.models import LandingBatch, QuarantineRecord
from omniretail.cdp.quality.models import QualityStats
from omniretail.platform import config, db, pipeline
from omniretail.platform.db import session_scope
from omniretail.platform.engine import open_engine
from omniretail.platform.engine.duckdb import DuckDBEngine

DATA = Path(__file__).parents[2] / "insight" / "traffic" / "data"
HEADER = "门店编码,门编码,时段开始,进店人数,出店人数,过店人数\n"
BATCHES = [
    # copies within the batch and of the first file's kept row (10:00), a key sent again
    # through another spelling (duplicate_key), a bad row and its copy, no store
    "S101,D1,2026-11-02 10:00,10,8,100\nS101,D1,2026-11-02 10:00,11,8,100\n"
    " s101 ,d1,2026/11/02 11:00,99,1,\nS102,D1,2026-11-05 10:00,,1,\n"
    "S102,D1,2026-11-05 10:00,,1,\nS103,D1,2026-11-05 12:00,1,1,5\n,D1,2026-11-05 13:00,1,1,\n",
    # a kept key with other figures, a new key
    "S101,D1,2026-11-02 12:00,1,1,1\nS104,D1,2026-11-06 09:00,3,3,\n",
    # copies of earlier quarantined rows (negative count of the first file, the bad row of
    # the second, its duplicate_key row), of a kept row, and the same key again with new figures
    "S101,D1,2026-11-04 10:00,-3,0,\nS102,D1,2026-11-05 10:00,,1,\n"
    " s101 ,d1,2026/11/02 11:00,99,1,\nS104,D1,2026-11-06 09:00,3,3,\n"
    "S104,D1,2026-11-06 09:00,4,3,\nS105,D1,2026-11-06 09:00,4,3,\n",
]
NEXT_DAY = "S101,D1,2026-11-07 10:00,9,9,90\nS102,D1,2026-11-07 10:00,2,2,\n"


def _land(tmp: Path, name: str, body: str) -> None:
    f = tmp / name
    f.write_text(HEADER + body, encoding="utf-8")
    with session_scope() as s:
        ingest_service.import_with_mapping_file(
            s, source="counter", mapping_path=shipped_mapping("people_counter"), files=[f]
        )


def _run(full: bool = False, read: list[str] | None = None) -> dict[str, Any]:
    """Standardize; returns the counter part's mode and everything it leaves. ``read``
    collects the landed files the engine is asked to read."""
    settings = config.get_settings()
    engine = open_engine(settings=settings)
    if read is not None:
        assert isinstance(engine, DuckDBEngine)
        real = engine.register_parquet

        def register(name: str, paths: Any) -> None:
            read.extend(str(p) for p in (paths if isinstance(paths, list) else [paths]))
            real(name, paths)

        engine.register_parquet = register  # type: ignore[method-assign]
    try:
        ctx = pipeline.PipelineContext(engine=engine, settings=settings, full_refresh=full)
        pipeline.run(ctx, only=["standardize"])
        rows = engine.fetch_rows(
            "SELECT * FROM std_traffic_counts ORDER BY _batch_id, _row, store_code, "
            "door_code, bucket_start"
        )
        mode = ctx.results["standardize"]["counters"]["counter"]
    finally:
        engine.close()
    with session_scope() as s:
        quarantine = sorted(
            (q.batch_id, q.row, q.reason, q.status, sorted(q.raw.items()))
            for q in s.scalars(select(QuarantineRecord).where(QuarantineRecord.source == "counter"))
        )
        st = s.get(QualityStats, "counter")
        assert st is not None
        stats = {
            k: getattr(st, k)
            for k in ("rows_read", "accepted", "fixed", "filled", "duplicates", "quarantined",
                      "quarantined_by_reason", "fixes_by_rule", "classified")
        }  # fmt: skip
        per_batch = {
            b.batch_id: (b.detail or {}).get("quality") for b in s.scalars(select(LandingBatch))
        }
    return {
        "mode": mode,
        "rows": rows,
        "quarantine": quarantine,
        "stats": stats,
        "per_batch": per_batch,
    }


def _same(a: dict[str, Any], b: dict[str, Any]) -> None:
    for k in ("rows", "quarantine", "stats", "per_batch"):
        assert a[k] == b[k], k


@pytest.mark.usefixtures("home")
def test_incremental_runs_equal_a_full_run(tmp_path: Path) -> None:
    db.create_all(db.get_engine())
    with session_scope() as s:
        ingest_service.import_with_mapping_file(
            s, source="counter", mapping_path=shipped_mapping("people_counter"),
            files=[DATA / "counter_counts.csv"],
        )  # fmt: skip
    assert _run()["mode"] == "first_run"
    for i, body in enumerate(BATCHES):
        _land(tmp_path, f"b{i}.csv", body)
        got = _run()
        assert got["mode"] == "incremental:1_new_batches"
    _same(got, _run(full=True))  # the full run writes the state afresh
    again = _run()
    assert again["mode"] == "incremental:0_new_batches"
    _same(again, got)
    reasons = [q[2] for q in got["quarantine"]]
    # b0: 10:00 and 11:00 again; b1: 12:00 again; b2: S104 with other figures
    assert reasons.count("duplicate_key:traffic_count") == 4
    assert got["stats"]["duplicates"] == 2 + 4  # b0: 2 copies; b2: 4 copies of earlier rows
    st = got["stats"]
    assert st["accepted"] + st["quarantined"] + st["duplicates"] == st["rows_read"] == 17 + 15

    # a clean next day: no earlier landed file is read
    _land(tmp_path, "next.csv", NEXT_DAY)
    with session_scope() as s:
        landed = {b.batch_id: b.path for b in s.scalars(select(LandingBatch))}
        new_batch = max(s.scalars(select(LandingBatch)), key=lambda b: b.id).batch_id
    read: list[str] = []
    got = _run(read=read)
    assert got["mode"] == "incremental:1_new_batches"
    assert read, "the new batch is read"
    assert all(landed[new_batch] in p for p in read), read
    _same(got, _run(full=True))

    # a landed file rewritten (as an erasure does): every batch is read again
    first = next(iter(sorted(landed.values())))
    path = config.get_settings().landing_dir / first
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 10**9))
    got = _run()
    assert got["mode"] == "batch_changed"
    _same(got, _run(full=True))
