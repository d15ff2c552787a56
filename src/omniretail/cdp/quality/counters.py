"""Fast path of ``standardize`` for people-counter exports (entity ``traffic_count``).

A year of hourly counts for 2,000 stores is 17.5 M narrow, numeric rows. The generic
standardizer (standardize.py) ranks exact duplicates with a window over every raw column and
ranks duplicate keys with a second window, materializing the wide stage tables twice; on
counter files that is most of the import's time, for checks that almost never fire.

This path gives the same records, quarantine and statistics (tests/cdp/test_counter_fast_path.py
compares them with the generic path) in one typed pass:

1. ``t``: every landed row with its typed fields, fixes and the row's reason (the mapping's
   quarantine rules, then missing/invalid required fields) — one scan of the landed Parquet;
2. keys seen more than once (a hash aggregate, no sort); only the rows of those keys go through
   the generic duplicate logic (exact copies of a raw row are ``duplicates``, another row
   claiming a kept row's key is quarantined ``duplicate_key``) — in a good file none do;
3. the accepted rows are a view over ``t`` (finalize copies them into ``std_traffic_counts``).
"""

from __future__ import annotations

import json
from typing import Any

from omniretail.cdp.ingest.contract import ENTITY_TABLES
from omniretail.cdp.ingest.mapping import Mapping
from omniretail.cdp.ingest.readers import META_COLUMNS
from omniretail.cdp.quality.sqlgen import (
    REQUIRED,
    base_sql,
    col,
    convert_sql,
    input_sql,
    mapped_sql,
    needs_python,
)
from omniretail.cdp.quality.standardize import (
    BATCH_COUNTS,
    LINEAGE,
    Override,
    SourceResult,
    SourceStandardizer,
    _cond,
    _fields,
)
from omniretail.platform.engine.dialect import ident as q
from omniretail.platform.engine.dialect import literal as lit

FAST_KINDS = frozenset({"traffic_count"})
KEY_FIELDS = ("store_code", "door_code", "bucket_start")


def fast_path_applies(mapping: Mapping, overrides: list[Override]) -> bool:
    """Counter files only: one ``traffic_count`` entity, no exploded lists, classifiers,
    Python transforms, entity references or fixed quarantine rows to swap in."""
    if overrides or mapping.explode is not None or mapping.classify:
        return False
    if len(mapping.entities) != 1 or mapping.entities[0].kind not in FAST_KINDS:
        return False
    ent = mapping.entities[0]
    return not any(
        spec.entity is not None or spec.map or needs_python(ent, f, spec)
        for f, spec in _fields(ent).items()
    )


class CounterStandardizer(SourceStandardizer):
    """``SourceStandardizer`` for counter files (see the module doc); same result shape."""

    def run(self) -> SourceResult:
        raw_cols = self._raw()
        self._check_columns(raw_cols)
        self._typed_table()
        dup = self._duplicates(raw_cols)
        result = SourceResult(self.source)
        result.batch_ids = {
            str(r["b"])
            for r in self.e.fetch_rows(f"SELECT DISTINCT _batch_id AS b FROM {q(self.p + '_raw')}")
        }
        result.entity_tables = self._accepted()
        # the rows finalize keeps of <p>_typed (alias t): not quarantined, not a duplicate
        keep = "t.__reason0 IS NULL AND coalesce(t.__exists, FALSE)"
        if dup:
            keep += (
                f" AND NOT EXISTS (SELECT 1 FROM {q(self.p + '_d')} d WHERE "
                "d._batch_id = t._batch_id AND d._row = t._row AND NOT coalesce("
                "d.__reason IS NULL AND d.__dup_rank = 1 AND d.__exists, FALSE))"
            )
        result.ready_tables = {self.m.entities[0].kind: (self.p + "_typed", keep)}
        result.quarantine = self._quarantine_rows()
        self.metrics = self._batch_metrics()
        result.stats = stats_of(self.metrics)
        result.by_batch = by_batch_of(self.metrics)
        return result

    def _batches_sql(self) -> str:
        """Each landed batch's position offset: the batches in (_loaded_at, _batch_id) order."""
        return (
            "SELECT _loaded_at AS __pos_l, _batch_id AS __pos_b, "
            "row_number() OVER (ORDER BY _loaded_at, _batch_id) * 4294967296 AS __pos_off "
            f"FROM (SELECT DISTINCT _loaded_at, _batch_id FROM {q(self.p + '_raw')}) d"
        )

    # -- 1. one typed pass ----------------------------------------------------------------
    def _typed_exprs(self, raw_name: str) -> tuple[str, str, str, list[tuple[str, str]], str]:
        """The typed pass over ``raw_name`` as SQL pieces: (the mapping's quarantine rule,
        ``ent.when``, the row's reason over them, [(field, typed value)], the fixes list)."""
        ent = self.m.entities[0]
        types = self.e.columns(raw_name)
        rule = (
            "CASE "
            + " ".join(f"WHEN {_cond(r.when)} THEN {lit(r.reason)}" for r in self.m.quarantine)
            + " END"
            if self.m.quarantine
            else "CAST(NULL AS VARCHAR)"
        )
        exists = _cond(ent.when) if ent.when else "TRUE"
        required = set(REQUIRED.get(ent.kind, ())) | {
            f for f, s in _fields(ent).items() if s.required
        }
        vals: list[tuple[str, str]] = []
        reasons: list[str] = []
        fix_items: list[str] = []
        for fname, spec in _fields(ent).items():
            given = input_sql(ent, fname, spec)  # the raw value, SQL transforms applied
            in_type = types.get(spec.column or "", "VARCHAR") if spec.column else "VARCHAR"
            val = convert_sql(mapped_sql(f"({given})", spec, ent.kind, fname), spec, in_type)
            if spec.transforms:
                before = f"CAST({base_sql(spec)} AS VARCHAR)"
                fix_items.append(
                    f"CASE WHEN {before} IS DISTINCT FROM {given} THEN "
                    f"{lit(fname + '_normalized')} END"
                )
            invalid = f"(({given}) IS NOT NULL AND ({val}) IS NULL)"
            if fname in required:
                reasons.append(f"WHEN ({given}) IS NULL THEN {lit(f'missing:{ent.ref}.{fname}')}")
                reasons.append(f"WHEN {invalid} THEN {lit(f'invalid:{ent.ref}.{fname}')}")
            else:
                fix_items.append(f"CASE WHEN {invalid} THEN {lit(f'{fname}_invalid')} END")
            if spec.default is not None:
                fix_items.append(f"CASE WHEN ({val}) IS NULL THEN {lit(f'filled:{fname}')} END")
                val = f"coalesce({val}, {lit(spec.default)})"
            vals.append((fname, val))
        fixes = (
            f"list_filter(CAST([{', '.join(fix_items)}] AS VARCHAR[]), lambda x: x IS NOT NULL)"
            if fix_items
            else "CAST([] AS VARCHAR[])"
        )
        reason = f"CASE WHEN __rule IS NOT NULL THEN __rule {' '.join(reasons)} END"
        return rule, exists, reason, vals, f"CASE WHEN {exists} THEN {fixes} END"

    def _typed(self, raw_name: str, batches: str, target: str, extra: str = "") -> None:
        """``target``: the rows of ``raw_name`` typed, with their reason and position (the
        offsets of ``batches``); ``extra``: more columns to carry (``, <expr> AS <name>``)."""
        ent = self.m.entities[0]
        rule, exists, reason, vals, fixes = self._typed_exprs(raw_name)
        sel = [f"{val} AS {q(col(ent.ref, f))}" for f, val in vals]
        self.e.materialize(
            target,
            f"SELECT {', '.join(LINEAGE)}, __pos_off + _row AS __pos, {exists} AS __exists, "
            f"{reason} AS __reason0, {', '.join(sel)}, "
            f"{fixes} AS {q(ent.ref + '__fixes')}{extra} "
            f"FROM (SELECT *, {rule} AS __rule FROM {q(raw_name)}) r JOIN ({batches}) b "
            "ON b.__pos_l IS NOT DISTINCT FROM r._loaded_at "
            "AND b.__pos_b IS NOT DISTINCT FROM r._batch_id",
            scratch=True,
        )

    def _typed_table(self) -> None:
        """Every landed row typed in one pass into ``<p>_typed``, a table already in the
        shape of ``std_traffic_counts`` (its columns and types, then the row's position,
        whether the entity exists and its reason), so that finalize can make it the std_
        table once the rows that are not accepted are deleted (``AnalyticsEngine.adopt``)
        instead of copying the accepted ones; ``<p>_t`` is a view of it with the names the
        duplicate logic and the statistics read."""
        ent = self.m.entities[0]
        table = ENTITY_TABLES[ent.kind]
        raw = self.p + "_raw"
        rule, exists, reason, vals, fixes = self._typed_exprs(raw)
        given = dict(vals)
        cols: list[str] = []
        for c, t in table.columns.items():
            if c == "source":
                cols.append(f"{lit(self.source)} AS source")
            elif c in given:  # the contract's type, as finalize casts a copied part
                cols.append(f"TRY_CAST({given[c]} AS {t}) AS {q(c)}")
            else:
                cols.append(f"CAST(NULL AS {t}) AS {q(c)}")
        self.e.materialize(
            self.p + "_typed",
            f"SELECT {', '.join(cols)}, {fixes} AS fixes, r._batch_id, r._row, "
            f"__pos_off + r._row AS __pos, {exists} AS __exists, {reason} AS __reason0 "
            f"FROM (SELECT *, {rule} AS __rule FROM {q(raw)}) r JOIN ({self._batches_sql()}) b "
            "ON b.__pos_l IS NOT DISTINCT FROM r._loaded_at "
            "AND b.__pos_b IS NOT DISTINCT FROM r._batch_id",
        )
        named = [f"{q(c)} AS {q(col(ent.ref, c))}" for c in table.columns if c in given]
        self.e.create_view(
            self.p + "_t",
            f"SELECT _batch_id, _row, __pos, __exists, __reason0, {', '.join(named)}, "
            f"fixes AS {q(ent.ref + '__fixes')} FROM {q(self.p + '_typed')}",
        )

    # -- 2. duplicates, only among keys seen more than once -----------------------------------
    def _duplicates(self, raw_cols: list[str], raw_name: str | None = None) -> bool:
        """``<p>_s2``: every row of ``<p>_t`` with its outcome; True when some key is claimed
        more than once (``<p>_d`` then holds those keys' rows, ranked)."""
        ent = self.m.entities[0]
        raw = q(raw_name or self.p + "_raw")
        t = q(self.p + "_t")
        keys = [q(col(ent.ref, k)) for k in ENTITY_TABLES[ent.kind].keys if k in ent.fields]
        plain = f"SELECT *, 1 AS __dup_rank, __reason0 AS __reason FROM {t}"
        if self._keys_unique(t):
            self.e.create_view(self.p + "_s2", plain)
            return False
        self.e.materialize(
            f"{self.p}_k",
            f"SELECT {', '.join(keys)} FROM {t} GROUP BY {', '.join(keys)} HAVING count(*) > 1",
            scratch=True,
        )
        if not int(self.e.scalar(f"SELECT count(*) FROM {q(self.p + '_k')}") or 0):
            self.e.create_view(self.p + "_s2", plain)
            return False
        on = " AND ".join(f"t.{k} IS NOT DISTINCT FROM k.{k}" for k in keys)
        same_raw = ", ".join(f"r.{q(c)}" for c in raw_cols)
        dup = (
            f"row_number() OVER (PARTITION BY {same_raw} ORDER BY t.__pos)"
            if self.m.deduplicate and raw_cols
            else "1"
        )
        # as the generic path: an exact copy of a raw row is a duplicate (no reason); a row's
        # own reason counts for its first copy only; among the accepted first copies, a later
        # row claiming a key already kept is quarantined duplicate_key
        ranked = (
            f"SELECT t.* REPLACE (CASE WHEN {dup} = 1 THEN t.__reason0 END AS __reason0), "
            f"{dup} AS __dup_rank FROM {t} t JOIN {q(self.p + '_k')} k ON {on} "
            f"JOIN {raw} r ON r._batch_id = t._batch_id AND r._row = t._row"
        )
        ok = "(__reason0 IS NULL AND __dup_rank = 1 AND __exists)"
        self.e.materialize(
            f"{self.p}_d",
            f"SELECT *, CASE WHEN __reason0 IS NOT NULL THEN __reason0 WHEN {ok} AND "
            f"row_number() OVER (PARTITION BY {ok}, {', '.join(keys)} ORDER BY __pos) > 1 "
            f"THEN {lit('duplicate_key:' + ent.ref)} END AS __reason FROM ({ranked}) x",
            scratch=True,
        )
        self.e.materialize(
            f"{self.p}_s2",
            f"SELECT t.*, 1 AS __dup_rank, t.__reason0 AS __reason FROM {t} t "
            f"LEFT JOIN {q(self.p + '_d')} d ON d._batch_id = t._batch_id AND d._row = t._row "
            f"WHERE d._row IS NULL UNION ALL SELECT * FROM {q(self.p + '_d')}",
            scratch=True,
        )
        return True

    def _keys_unique(self, t: str) -> bool:
        """True when no two rows of ``t`` can claim the same (store, door, bucket) key, proven
        cheaply: per store × door × day (some thousands of groups, not one per row) every
        bucket starts on the hour and no hour is counted twice (the bits of the hours seen
        are as many as the rows), and at most one row lacks a part of the key (rows with a
        null part compare equal on it). False means "maybe": the exact check runs then."""
        ent = self.m.entities[0]
        if set(ENTITY_TABLES[ent.kind].keys) != set(KEY_FIELDS) or not all(
            k in ent.fields for k in KEY_FIELDS
        ):
            return False
        s, d, b = (q(col(ent.ref, k)) for k in KEY_FIELDS)
        if self.e.columns(self.p + "_t").get(col(ent.ref, "bucket_start")) != "TIMESTAMP":
            return False
        bad = self.e.scalar(
            "SELECT coalesce(sum(CASE WHEN NOT on_hour OR bit_count(hours) <> n THEN 2 ELSE 0 "
            "END), 0) + (SELECT count(*) FROM "
            f"{t} WHERE {s} IS NULL OR {d} IS NULL OR {b} IS NULL) FROM ("
            f"SELECT count(*) AS n, bit_or(CAST(1 AS BIGINT) << hour({b})) AS hours, "
            f"bool_and({b} = date_trunc('hour', {b})) AS on_hour FROM {t} "
            f"WHERE {s} IS NOT NULL AND {d} IS NOT NULL AND {b} IS NOT NULL "
            f"GROUP BY {s}, {d}, CAST({b} AS DATE)) g"
        )
        return int(bad or 0) <= 1

    def _quarantine_rows(self) -> list[dict[str, Any]]:
        """As ``SourceStandardizer._quarantine_rows`` (no exploded rows here), the file's name
        read from the landed row (the typed table does not carry it)."""
        rows = self.e.fetch_rows(
            "SELECT s._batch_id AS batch_id, r._file AS file, s._row AS row, "
            f"s.__reason AS reason, to_json(r) AS raw FROM {q(self.s2_table)} s "
            f"JOIN {q(self.p + '_raw')} r ON r._batch_id = s._batch_id AND r._row = s._row "
            "WHERE s.__reason IS NOT NULL AND s.__dup_rank = 1 ORDER BY s.__pos"
        )
        for r in rows:
            data = json.loads(r["raw"]) if isinstance(r["raw"], str) else dict(r["raw"])
            r["raw"] = {k: v for k, v in data.items() if k not in META_COLUMNS}
            r["source"] = self.source
        return rows

    # -- 3. the accepted records ------------------------------------------------------------
    def _accepted(self) -> dict[str, list[str]]:
        ent = self.m.entities[0]
        table = ENTITY_TABLES[ent.kind]
        cols = [f"{q(col(ent.ref, f))} AS {q(f)}" for f in _fields(ent) if f in table.columns]
        name = f"{self.p}_{ent.ref}"
        self.e.create_view(
            name,
            "SELECT _batch_id, _row, __pos, "
            f"{q(ent.ref + '__fixes')} AS fixes, {', '.join(cols)}, {lit(self.source)} AS source "
            f"FROM {q(self.s2_table)} WHERE __reason IS NULL AND __dup_rank = 1 AND __exists",
        )
        return {ent.kind: [name]}

    def _batch_metrics(self) -> list[tuple[str, str, int]]:
        """What each batch's rows became, as (batch id, metric, count): ``rows_read``,
        ``duplicates``, ``quarantined``, ``accepted``, ``fixed``, ``filled``, ``reason:<r>``
        (quarantined by reason), ``rule:<r>`` (accepted rows fixed by a rule). The source's
        statistics are their sums (``stats_of``), so a run that reads only new batches adds
        their metrics to the ones kept for the others."""
        s2 = q(self.s2_table)
        fixes = q(self.m.entities[0].ref + "__fixes")
        ok = "__dup_rank = 1 AND __reason IS NULL"
        out: list[tuple[str, str, int]] = []
        for r in self.e.fetch_rows(
            "SELECT _batch_id AS b, count(*) AS rows_read, "
            "count(*) FILTER (WHERE __dup_rank > 1) AS duplicates, "
            "count(*) FILTER (WHERE __dup_rank = 1 AND __reason IS NOT NULL) AS quarantined, "
            f"count(*) FILTER (WHERE {ok}) AS accepted, "
            f"count(*) FILTER (WHERE {ok} AND array_length({fixes}) > 0"
            f" AND len(list_filter({fixes}, lambda x: NOT starts_with(x, 'filled:'))) > 0)"
            " AS fixed, "
            f"count(*) FILTER (WHERE {ok} AND array_length({fixes}) > 0"
            f" AND len(list_filter({fixes}, lambda x: starts_with(x, 'filled:'))) > 0)"
            f" AS filled FROM {s2} GROUP BY 1"
        ):
            out += [(str(r["b"]), k, int(r[k])) for k in METRICS]
        for r in self.e.fetch_rows(
            f"SELECT _batch_id AS b, 'rule:' || rule AS k, count(*) AS n FROM (SELECT _batch_id, "
            f"unnest(list_distinct({fixes})) AS rule FROM {s2} WHERE {ok}"
            f" AND array_length({fixes}) > 0) f GROUP BY 1, 2"
        ):
            out.append((str(r["b"]), str(r["k"]), int(r["n"])))
        for r in self.e.fetch_rows(
            f"SELECT _batch_id AS b, 'reason:' || __reason AS k, count(*) AS n FROM {s2} "
            "WHERE __dup_rank = 1 AND __reason IS NOT NULL GROUP BY 1, 2"
        ):
            out.append((str(r["b"]), str(r["k"]), int(r["n"])))
        return out


METRICS = ("rows_read", "duplicates", "quarantined", "accepted", "fixed", "filled")


def stats_of(metrics: list[tuple[str, str, int]]) -> dict[str, Any]:
    """The source's statistics (the shape ``SourceStandardizer`` gives) from batch metrics."""
    total: dict[str, int] = {}
    for _b, k, n in metrics:
        total[k] = total.get(k, 0) + n
    return {
        **{k: total.get(k, 0) for k in METRICS},
        "quarantined_by_reason": {
            k[7:]: n for k, n in sorted(total.items()) if k.startswith("reason:") and n
        },
        "fixes_by_rule": {
            k[5:]: n for k, n in sorted(total.items()) if k.startswith("rule:") and n
        },
        "classified": {},
    }


def by_batch_of(metrics: list[tuple[str, str, int]]) -> dict[str, dict[str, int]]:
    """Per batch the counts the landing batch keeps (``save_batch_stats``)."""
    out: dict[str, dict[str, int]] = {}
    for b, k, n in metrics:
        if k in BATCH_COUNTS:
            out.setdefault(b, dict.fromkeys(BATCH_COUNTS, 0))[k] = n
    return out
