"""Bench-only fast path from a demo world's exports to ``std_identity_records`` and
``std_identity_links``: the same tables as ``omniretail import --world`` + ``standardize``,
without the orders, order lines and events that identity resolution does not read.

It runs the ingest's own code on the identity part of the world's mappings: each mapping keeps
only its ``identity`` and ``identity_link`` entities (and the master data the global rules
need: stores), each export is landed with ``land_file`` into a scratch folder, and the quality
step's ``SourceStandardizer``, ``build_tables`` and ``apply_global_rules`` build the tables in
the same source order as the pipeline. The only shortcut: the behaviour events
(``events/events.jsonl``, gigabytes at scale 10) are landed as one row per distinct
(device, user, app) with the latest timestamp, which yields the same device records and
device → account links. bench/identity.py checks nothing of this by itself; the equality of
the two paths is measured (docs/benchmarks/identity.md).

Run: ``.venv/bin/python bench/identity_world.py WORLD_DIR OUT.duckdb``
"""

from __future__ import annotations

import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

KEEP_KINDS = {"identity", "identity_link", "store"}


def _land_events(path: Path, dest: Path, batch_id: str) -> None:
    """Distinct (anonymousId, userId, app) with the latest timestamp, plus lineage columns."""
    import duckdb

    con = duckdb.connect()
    try:
        con.execute(
            f"""
            COPY (
              SELECT *, 'events' AS _source, '{batch_id}' AS _batch_id,
                     '{path.name}' AS _file, now()::TIMESTAMP AS _loaded_at,
                     row_number() OVER () AS _row
              FROM (SELECT anonymousId, userId, {{'app': context.app}} AS context,
                           max("timestamp") AS "timestamp", 'track' AS type
                    FROM read_json('{path}', format = 'newline_delimited',
                                   columns = {{anonymousId: 'VARCHAR', userId: 'VARCHAR',
                                              context: 'STRUCT(app VARCHAR)',
                                              "timestamp": 'VARCHAR'}})
                    GROUP BY ALL)
            ) TO '{dest}' (FORMAT PARQUET)
            """
        )
    finally:
        con.close()


def convert(world: str, out: str, *, log: bool = False) -> dict[str, float]:
    """Fill ``std_identity_records`` / ``std_identity_links`` (and the other std_ tables,
    empty but for stores) in the DuckDB file ``out``; returns seconds per phase."""
    from omniretail.cdp.ingest.mapping import load_mapping
    from omniretail.cdp.ingest.readers import land_file
    from omniretail.cdp.ingest.service import world_channels
    from omniretail.cdp.quality import finalize
    from omniretail.cdp.quality.junk import load_junk
    from omniretail.cdp.quality.standardize import SourceResult, SourceStandardizer
    from omniretail.platform.engine.duckdb import DuckDBEngine

    scratch = Path(out).parent / "identity_world_landing"
    shutil.rmtree(scratch, ignore_errors=True)
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    # the pipeline's order: by source, then the order the mappings were imported (file name)
    channels = sorted(world_channels(Path(world)), key=lambda c: c[0])
    landed: list[tuple[str, object, list[str]]] = []
    for i, (source, mpath, files) in enumerate(channels):
        mapping, _ = load_mapping(mpath)
        entities = [e for e in mapping.entities if e.kind in KEEP_KINDS]
        if not entities or not files:
            continue
        mapping = mapping.model_copy(update={"entities": entities})
        paths = []
        for j, f in enumerate(files):
            dest = scratch / source / f"{i:02d}_{j:02d}.parquet"
            dest.parent.mkdir(parents=True, exist_ok=True)
            batch = f"bench-{i:02d}-{j:02d}"
            if source == "events":
                _land_events(f, dest, batch)
            else:
                land_file(f, mapping.format, mapping.options, source=source, batch_id=batch,
                          dest=dest)  # fmt: skip
            paths.append(str(dest))
        landed.append((source, mapping, paths))
        if log:
            print(f"landed {source} {mpath.name} {time.perf_counter() - t0:.0f} s", flush=True)
    timings["land_s"] = round(time.perf_counter() - t0, 1)
    t0 = time.perf_counter()
    engine = DuckDBEngine(out)
    try:
        junk = load_junk()
        results: list[SourceResult] = []
        for part, (source, mapping, paths) in enumerate(landed):
            results.append(
                SourceStandardizer(
                    engine,
                    source=source,
                    mapping=mapping,  # type: ignore[arg-type]
                    paths=paths,
                    overrides=[],
                    junk=junk,
                    part=part,
                ).run()
            )
            if log:
                print(f"standardized {source} {time.perf_counter() - t0:.0f} s", flush=True)
        finalize.build_tables(engine, results)
        finalize.apply_global_rules(engine, junk)
        finalize.drop_work_tables(engine)
    finally:
        engine.close()
        shutil.rmtree(scratch, ignore_errors=True)
    timings["standardize_s"] = round(time.perf_counter() - t0, 1)
    return timings


if __name__ == "__main__":
    print(convert(sys.argv[1], sys.argv[2], log=True))
