"""Incremental ``standardize`` of people-counter exports: a run reads only the batches landed
since the last one and appends their accepted rows to ``std_traffic_counts``, with the same
records, quarantine and statistics as a run over every batch
(tests/cdp/quality/test_counter_incremental.py compares them).

Why it can: on the counter path (counters.py) a row's outcome depends on its own values and on
the *earlier* rows (in ``_loaded_at, _batch_id, _row`` order) claiming its key — an exact copy
of an earlier raw row is a duplicate, another accepted row with an earlier row's key is
quarantined ``duplicate_key``. Batches landed later come last, so they never change what an
earlier row became. A run therefore types the new rows, reads back from the landing only the
earlier rows claiming one of their keys (kept ones from ``std_traffic_counts``, quarantined
ones from the state), ranks those together and keeps the new rows' outcomes.

State, per counter part (its fingerprint: the source and the mapping text), in the analytics
store: the batches folded in (``q_counter_batches``: id, load time, landed file with its size
and modification time), what each batch's rows became (``q_counter_metrics``, summed into the
source's statistics) and the keys of its quarantined rows (``q_counter_quarantined``).

A part runs over every batch instead (and writes the state afresh) on a full refresh, on its
first run, when a folded batch is gone or its landed file changed (erasure rewrites files),
when a new batch sorts before a folded one, when ``std_traffic_counts`` does not hold exactly
the folded accepted rows, or when any part yielding traffic counts cannot run incrementally
(finalize rebuilds the table from every part then).
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa

from omniretail.cdp.ingest.contract import ENTITY_TABLES, TRAFFIC_COUNT
from omniretail.cdp.ingest.mapping import Mapping
from omniretail.cdp.quality.counters import (
    CounterStandardizer,
    by_batch_of,
    stats_of,
)
from omniretail.cdp.quality.sqlgen import col
from omniretail.cdp.quality.standardize import SourceResult
from omniretail.platform.engine.base import AnalyticsEngine
from omniretail.platform.engine.dialect import ident as q
from omniretail.platform.engine.dialect import in_list
from omniretail.platform.engine.dialect import literal as lit

BATCHES = "q_counter_batches"
METRICS = "q_counter_metrics"
QUARANTINED = "q_counter_quarantined"
KEYS = TRAFFIC_COUNT.keys  # store_code, door_code, bucket_start


def fingerprint(source: str, mapping_text: str) -> str:
    return hashlib.sha256(f"{source}\0{mapping_text}".encode()).hexdigest()[:24]


def _stat(path: str) -> tuple[int, int]:
    st = os.stat(path)
    return st.st_size, st.st_mtime_ns


@dataclass
class Part:
    """A counter part of a run: its batches (id, landed file) and what the state knows."""

    source: str
    fp: str
    batches: list[tuple[str, str]]
    old: list[dict[str, Any]] = field(default_factory=list)  # folded batches (state rows)
    new: list[tuple[str, str]] = field(default_factory=list)
    why_full: str | None = None


def plan(engine: AnalyticsEngine, part: Part, *, full_refresh: bool) -> Part:
    """Fill ``part.old`` / ``part.new``, or ``part.why_full`` when it must read every batch."""
    if full_refresh:
        part.why_full = "full_refresh"
        return part
    if not all(
        engine.table_exists(t) for t in (BATCHES, METRICS, QUARANTINED, TRAFFIC_COUNT.table)
    ):
        part.why_full = "first_run"
        return part
    part.old = engine.fetch_rows(
        "SELECT batch_id, loaded_at, path, size, mtime_ns FROM "
        f"{BATCHES} WHERE fingerprint = {lit(part.fp)} ORDER BY loaded_at, batch_id"
    )
    if not part.old:
        part.why_full = "first_run"
        return part
    now = dict(part.batches)
    for b in part.old:
        path = now.get(str(b["batch_id"]))
        if path is None or path != b["path"] or not os.path.exists(path):
            part.why_full = "batch_gone"
            return part
        if _stat(path) != (int(b["size"]), int(b["mtime_ns"])):
            part.why_full = "batch_changed"
            return part
    folded = {str(b["batch_id"]) for b in part.old}
    part.new = [(b, p) for b, p in part.batches if b not in folded]
    if part.new:
        engine.register_parquet("__q_cinc_probe", [Path(p) for _b, p in part.new])
        first = engine.fetch_rows(
            "SELECT _loaded_at AS l, _batch_id AS b FROM __q_cinc_probe "
            "GROUP BY 1, 2 ORDER BY 1, 2 LIMIT 1"
        )
        last = part.old[-1]
        if first and (first[0]["l"], str(first[0]["b"])) <= (
            last["loaded_at"],
            str(last["batch_id"]),
        ):
            part.why_full = "batch_out_of_order"
    return part


def check_table(engine: AnalyticsEngine, parts: list[Part]) -> bool:
    """``std_traffic_counts`` holds exactly the accepted rows the parts' state folded in."""
    fps = [p.fp for p in parts]
    kept = engine.scalar(
        f"SELECT coalesce(sum(n), 0) FROM {METRICS} WHERE metric = 'accepted' "
        f"AND {in_list('fingerprint', fps)}"
    )
    have = engine.scalar(f"SELECT count(*) FROM {q(TRAFFIC_COUNT.table)}")
    return int(kept or 0) == int(have or 0)


class IncrementalCounters(CounterStandardizer):
    """The counter path over the new batches of a part (``self.paths``), ranked after the
    folded ones (see the module doc); the result is ``append_only``."""

    def __init__(self, engine: AnalyticsEngine, *, plan: Part, **kw: Any) -> None:
        super().__init__(engine, **kw)
        self.plan = plan

    def run(self) -> SourceResult:
        raw_cols = self._raw()
        self._check_columns(raw_cols)
        p = self.p
        old = pa.table(
            {
                "loaded_at": pa.array([b["loaded_at"] for b in self.plan.old]),
                "batch_id": pa.array([str(b["batch_id"]) for b in self.plan.old], pa.string()),
            }
        )
        self.e.register_arrow(p + "_oldb", old, scratch=True)
        self.e.materialize(
            p + "_batches",
            "SELECT __pos_l, __pos_b, row_number() OVER (ORDER BY __pos_l, __pos_b) * 4294967296 "
            "AS __pos_off FROM (SELECT loaded_at AS __pos_l, batch_id AS __pos_b FROM "
            f"{q(p + '_oldb')} UNION ALL SELECT DISTINCT _loaded_at, _batch_id FROM "
            f"{q(p + '_raw')}) d",
            scratch=True,
        )
        batches = f"SELECT * FROM {q(p + '_batches')}"
        self._typed(p + "_raw", batches, p + "_tnew", extra=", FALSE AS __old")
        ent = self.m.entities[0]
        tcols = [q(col(ent.ref, k)) for k in KEYS]
        self.e.materialize(
            p + "_newkeys",
            f"SELECT DISTINCT {', '.join(tcols)} FROM {q(p + '_tnew')}",
            scratch=True,
        )
        same = " AND ".join(
            f"o.{q(k)} IS NOT DISTINCT FROM k.{tc}" for k, tc in zip(KEYS, tcols, strict=True)
        )
        folded = in_list("o._batch_id", [str(b["batch_id"]) for b in self.plan.old])
        # the earlier rows claiming a key of a new row: kept, or quarantined (first copies)
        self.e.materialize(
            p + "_oldsel",
            f"SELECT o._batch_id, o._row FROM {q(TRAFFIC_COUNT.table)} o WHERE {folded} AND "
            f"EXISTS (SELECT 1 FROM {q(p + '_newkeys')} k WHERE {same}) UNION ALL "
            f"SELECT o._batch_id, o._row FROM {QUARANTINED} o WHERE "
            f"o.fingerprint = {lit(self.plan.fp)} AND "
            f"EXISTS (SELECT 1 FROM {q(p + '_newkeys')} k WHERE {same})",
            scratch=True,
        )
        sel = self.e.fetch_rows(f"SELECT DISTINCT _batch_id AS b FROM {q(p + '_oldsel')}")
        if not sel:
            self.e.create_view(p + "_t", f"SELECT * FROM {q(p + '_tnew')}")
            raw_all = p + "_raw"
        else:
            paths = {str(b["batch_id"]): str(b["path"]) for b in self.plan.old}
            self.e.register_parquet(p + "_oldlanded", [Path(paths[str(r["b"])]) for r in sel])
            self.e.create_view(
                p + "_rawold",
                f"SELECT l.* FROM {q(p + '_oldlanded')} l WHERE EXISTS (SELECT 1 FROM "
                f"{q(p + '_oldsel')} s WHERE s._batch_id = l._batch_id AND s._row = l._row)",
            )
            self._typed(p + "_rawold", batches, p + "_told", extra=", TRUE AS __old")
            self.e.create_view(
                p + "_t", f"SELECT * FROM {q(p + '_tnew')} UNION ALL SELECT * FROM {q(p + '_told')}"
            )
            raw_all = p + "_rawall"
            self.e.create_view(raw_all, self._union_raw(p + "_raw", p + "_rawold"))
        self._duplicates(raw_cols, raw_name=raw_all)
        self.s2_table = p + "_s2new"
        self.e.create_view(self.s2_table, f"SELECT * FROM {q(p + '_s2')} WHERE NOT __old")
        result = SourceResult(self.source, append_only=True)
        result.batch_ids = {b for b, _p in self.plan.new}
        result.entity_tables = self._accepted()
        result.quarantine = self._quarantine_rows()
        self.metrics = self._batch_metrics()
        kept = [
            (str(r["batch_id"]), str(r["metric"]), int(r["n"]))
            for r in self.e.fetch_rows(
                f"SELECT batch_id, metric, n FROM {METRICS} WHERE fingerprint = {lit(self.plan.fp)}"
            )
        ]
        result.stats = stats_of(kept + self.metrics)
        result.by_batch = by_batch_of(self.metrics)
        return result

    def _union_raw(self, a: str, b: str) -> str:
        """The rows of two landed relations, by column name (a column one lacks is null)."""
        ta, tb = self.e.columns(a), self.e.columns(b)
        names = list(dict.fromkeys([*ta, *tb]))

        def side(name: str, have: dict[str, str]) -> str:
            cols = [
                q(c) if c in have else f"CAST(NULL AS {ta.get(c) or tb[c]}) AS {q(c)}"
                for c in names
            ]
            return f"SELECT {', '.join(cols)} FROM {q(name)}"

        return f"{side(a, ta)} UNION ALL {side(b, tb)}"


def state_rows(st: CounterStandardizer, part: Part) -> None:
    """Keep this run's part of the state in scratch tables (``__q_<part>_st_*``), read by
    ``save_state`` after the std_ tables are built."""
    ent = st.m.entities[0]
    paths = dict(part.batches)
    got = st.e.fetch_rows(
        f"SELECT DISTINCT _batch_id AS b, _loaded_at AS l FROM {q(st.p + '_raw')}"
    )
    sizes = [_stat(paths[str(r["b"])]) for r in got]
    st.e.register_arrow(
        st.p + "_st_b",
        pa.table(
            {
                "fingerprint": pa.array([part.fp] * len(got), pa.string()),
                "batch_id": pa.array([str(r["b"]) for r in got], pa.string()),
                "loaded_at": pa.array([r["l"] for r in got]),
                "path": pa.array([paths[str(r["b"])] for r in got], pa.string()),
                "size": pa.array([s for s, _m in sizes], pa.int64()),
                "mtime_ns": pa.array([m for _s, m in sizes], pa.int64()),
            }
        ),
        scratch=True,
    )
    st.e.register_arrow(
        st.p + "_st_m",
        pa.table(
            {
                "fingerprint": pa.array([part.fp] * len(st.metrics), pa.string()),
                "batch_id": pa.array([b for b, _k, _n in st.metrics], pa.string()),
                "metric": pa.array([k for _b, k, _n in st.metrics], pa.string()),
                "n": pa.array([n for _b, _k, n in st.metrics], pa.int64()),
            }
        ),
        scratch=True,
    )
    types = ENTITY_TABLES["traffic_count"].columns
    keys = ", ".join(f"CAST({q(col(ent.ref, k))} AS {types[k]}) AS {q(k)}" for k in KEYS)
    st.e.materialize(
        st.p + "_st_q",
        f"SELECT {lit(part.fp)} AS fingerprint, _batch_id, _row, {keys} FROM "
        f"{q(st.s2_table)} WHERE __dup_rank = 1 AND __reason IS NOT NULL",
        scratch=True,
    )


def save_state(engine: AnalyticsEngine, done: list[tuple[str | None, Part]]) -> None:
    """The state after a run: for each counter part (with the prefix of its work tables, None
    when it had nothing new) its batches, metrics and quarantined keys — the folded ones kept
    when it ran incrementally; parts not among ``done`` are forgotten."""
    out: dict[str, list[str]] = {BATCHES: [], METRICS: [], QUARANTINED: []}
    for prefix, part in done:
        for table, suffix in ((BATCHES, "_st_b"), (METRICS, "_st_m"), (QUARANTINED, "_st_q")):
            if not part.why_full:
                out[table].append(f"SELECT * FROM {table} WHERE fingerprint = {lit(part.fp)}")
            if prefix is not None:
                out[table].append(f"SELECT * FROM {q(prefix + suffix)}")
    empty = {
        BATCHES: "SELECT CAST(NULL AS VARCHAR) AS fingerprint, CAST(NULL AS VARCHAR) AS batch_id, "
        "CAST(NULL AS TIMESTAMP) AS loaded_at, CAST(NULL AS VARCHAR) AS path, "
        "CAST(NULL AS BIGINT) AS size, CAST(NULL AS BIGINT) AS mtime_ns WHERE FALSE",
        METRICS: "SELECT CAST(NULL AS VARCHAR) AS fingerprint, CAST(NULL AS VARCHAR) AS batch_id, "
        "CAST(NULL AS VARCHAR) AS metric, CAST(NULL AS BIGINT) AS n WHERE FALSE",
        QUARANTINED: "SELECT CAST(NULL AS VARCHAR) AS fingerprint, "
        "CAST(NULL AS VARCHAR) AS _batch_id, CAST(NULL AS BIGINT) AS _row, "
        + ", ".join(f"CAST(NULL AS {TRAFFIC_COUNT.columns[k]}) AS {q(k)}" for k in KEYS)
        + " WHERE FALSE",
    }
    for table, parts in out.items():
        sql = " UNION ALL ".join(parts) if parts else empty[table]
        engine.materialize("__q_state_next", sql, scratch=True)
        engine.materialize(table, "SELECT * FROM __q_state_next")
        engine.drop("__q_state_next")


def applies_to(mapping: Mapping) -> bool:
    """A part whose records land in ``std_traffic_counts``."""
    return any(e.kind == "traffic_count" for e in mapping.entities)
