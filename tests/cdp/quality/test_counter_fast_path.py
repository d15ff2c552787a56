"""The counter fast path of ``standardize`` gives exactly what the generic path gives — the
records of ``std_traffic_counts``, the quarantine with its reasons and raw rows, the statistics —
on a file with every kind of bad row: quarantine rules, an unreadable time, an exact copy of a
row, another row claiming a kept key (also through a different time format and spacing),
a copy of a bad row and a second file with a key already loaded."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from omniretail.cdp.ingest import service as ingest_service
from omniretail.cdp.ingest.mapping import shipped_mapping
from omniretail.cdp.ingest.models import QuarantineRecord
from omniretail.cdp.quality import counters
from omniretail.cdp.quality import pipeline as quality_pipeline
from omniretail.platform import config, pipeline
from omniretail.platform.db import session_scope
from omniretail.platform.engine import open_engine

SAVE_STATS = quality_pipeline.service.save_stats
DATA = Path(__file__).parents[2] / "insight" / "traffic" / "data"
EXTRA = """\ufeff门店编码,门编码,时段开始,进店人数,出店人数,过店人数
S101,D1,2026-11-02 10:00,10,8,100
S101,D1,2026-11-02 10:00,11,8,100
 s101 ,d1,2026/11/02 11:00,99,1,
S102,D1,2026-11-05 10:00,,1,
S102,D1,2026-11-05 10:00,,1,
S103,D1,2026-11-05 12:00,1,1,5
S103,D1,2026-11-05 12:00,1,1,5
,D1,2026-11-05 13:00,1,1,
"""
LATER = """门店编码,门编码,时段开始,进店人数,出店人数,过店人数
S101,D1,2026-11-02 12:00,1,1,1
S104,D1,2026-11-06 09:00,3,3,
"""


def _standardize(fast: bool, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    monkeypatch.setattr(quality_pipeline, "fast_path_applies", lambda m, o: fast)
    used: list[str] = []
    original = counters.CounterStandardizer.run

    def spy(self: counters.CounterStandardizer) -> Any:
        used.append(self.source)
        return original(self)

    monkeypatch.setattr(counters.CounterStandardizer, "run", spy)
    stats: list[dict[str, Any]] = []

    def keep(session: Any, merged: Any, extra: Any) -> Any:
        stats.append(merged.stats)
        return SAVE_STATS(session, merged, extra)

    monkeypatch.setattr(quality_pipeline.service, "save_stats", keep)
    settings = config.get_settings()
    engine = open_engine(settings=settings)
    try:
        ctx = pipeline.PipelineContext(engine=engine, settings=settings, full_refresh=True)
        pipeline.run(ctx, only=["standardize"])
        rows = engine.fetch_rows(
            "SELECT * EXCLUDE (_batch_id) FROM std_traffic_counts ORDER BY store_code, "
            "door_code, bucket_start, _row"
        )
        result = {
            k: v
            for k, v in ctx.results["standardize"].items()
            if k not in ("seconds", "quarantine", "counters")  # counters: which path ran
        }
    finally:
        engine.close()
    with session_scope() as s:
        quarantine = sorted(
            (q.file, q.row, q.reason, sorted(q.raw.items()))
            for q in s.scalars(select(QuarantineRecord).where(QuarantineRecord.source == "counter"))
        )
    assert used == (["counter"] if fast else [])
    return {"rows": rows, "quarantine": quarantine, "result": result, "stats": stats}


@pytest.mark.usefixtures("store_engine")
def test_fast_path_equals_generic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    extra, later = tmp_path / "extra.csv", tmp_path / "later.csv"
    extra.write_text(EXTRA, encoding="utf-8")
    later.write_text(LATER, encoding="utf-8")
    mapping = shipped_mapping("people_counter")
    assert counters.fast_path_applies(ingest_service.load_mapping(mapping)[0], overrides=[])
    with session_scope() as s:
        for f in (DATA / "counter_counts.csv", extra, later):
            ingest_service.import_with_mapping_file(
                s, source="counter", mapping_path=mapping, files=[f]
            )
    generic = _standardize(False, monkeypatch)
    fast = _standardize(True, monkeypatch)
    assert fast["rows"] == generic["rows"]
    assert fast["quarantine"] == generic["quarantine"]
    assert fast["result"] == generic["result"]
    assert fast["stats"] == generic["stats"]
    # what the file holds, spelled out (so that both paths being wrong alike fails too)
    reasons = sorted({q[2] for q in fast["quarantine"]})
    assert reasons == [
        "duplicate_key:traffic_count",
        "invalid:traffic_count.bucket_start",
        "invalid_count",
        "missing_store_code",
        "negative_count",
    ]
    dup = [q for q in fast["quarantine"] if q[2] == "duplicate_key:traffic_count"]
    # extra.csv row 1 is an exact copy of a row of the first file: a duplicate, not quarantined
    assert [(f, r) for f, r, *_ in dup] == [("extra.csv", 2), ("extra.csv", 3), ("later.csv", 1)]
    (st,) = fast["stats"]
    assert (st["rows_read"], st["duplicates"]) == (17 + 8 + 2, 3)  # copies: row 1, S102, S103
    assert st["accepted"] + st["quarantined"] + st["duplicates"] == st["rows_read"]


CLEAN = """门店编码,门编码,时段开始,进店人数,出店人数,过店人数
S101,D1,2026-11-09 10:00,10,8,100
S101,D1,2026-11-09 11:00,-1,8,100
S101,D2,2026-11-09 10:00,4,4,
"""
QUARTERS = """门店编码,门编码,时段开始,进店人数,出店人数,过店人数
S101,D1,2026-11-09 10:00,10,8,100
S101,D1,2026-11-09 10:15,3,2,
"""
NULL_KEYS = """门店编码,门编码,时段开始,进店人数,出店人数,过店人数
,D1,2026-11-09 10:00,1,1,
,D1,2026-11-09 10:00,2,1,
"""


@pytest.mark.parametrize(("text", "proven"), [(CLEAN, True), (QUARTERS, False), (NULL_KEYS, False)])
@pytest.mark.usefixtures("store_engine")
def test_unique_keys_shortcut(
    text: str, proven: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Where every key is proven unique per store × door × day (hourly buckets, no hour
    twice, at most one row with a null key part) the exact duplicate check is skipped; where
    it cannot be proven (two buckets in one hour, rows with null keys) it runs. Either way the
    records, quarantine and statistics are the generic path's, and the typed table the fast
    path adopts as ``std_traffic_counts`` loses exactly the rows not accepted."""
    f = tmp_path / "counts.csv"
    f.write_text(text, encoding="utf-8")
    with session_scope() as s:
        for path in (DATA / "counter_counts.csv", f):
            ingest_service.import_with_mapping_file(
                s, source="counter", mapping_path=shipped_mapping("people_counter"), files=[path]
            )
    seen: list[bool] = []
    original = counters.CounterStandardizer._keys_unique

    def spy(self: counters.CounterStandardizer, t: str) -> bool:
        seen.append(original(self, t))
        return seen[-1]

    monkeypatch.setattr(counters.CounterStandardizer, "_keys_unique", spy)
    generic = _standardize(False, monkeypatch)
    fast = _standardize(True, monkeypatch)
    assert seen == [proven]
    assert fast["rows"] == generic["rows"]
    assert fast["quarantine"] == generic["quarantine"]
    assert fast["result"] == generic["result"]
    st = fast["stats"][-1]
    assert st["accepted"] + st["quarantined"] + st["duplicates"] == st["rows_read"]
