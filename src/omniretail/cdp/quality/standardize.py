"""Standardize one source: landed raw rows + its mapping → canonical records, fixes, quarantine.

Stages in the analytics engine (canonical DuckDB SQL):

1. ``raw``: the source's landing batches, with fixed quarantine records swapped in (a view of
   the landed Parquet unless records are swapped in).
2. ``s1``: a view — per row its position, exact-duplicate rank, classifier labels, row-rule
   reason, and every entity field's input value (SQL transforms applied). Read once, by
   ``s2``: computed where it is read instead of being copied.
3. Python pass: library transforms (phones, traditional → simplified, full-width) on the
   *distinct* values of the columns needing them (one query for all of them, one value map),
   joined in where ``s2`` reads ``s1``.
4. ``s2`` (materialized): typed values, standard cleaning rules, fix labels, quarantine reason
   per row.
5. one table per entity of the mapping, built from the accepted rows; the source's quarantine
   rows and statistics (one query).

Windows sort every column they carry, so none runs over a whole wide table: the exact-duplicate
rank is computed only for rows whose hash of every raw column is seen more than once, the
duplicate-key rank only over the position and key of rows whose key's hash is seen more than
once (read back, and ``s2`` rewritten only when some key is claimed twice).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pyarrow as pa

from omniretail.cdp.ingest.contract import ENTITY_TABLES
from omniretail.cdp.ingest.mapping import EntitySpec, FieldSpec, Mapping
from omniretail.cdp.ingest.readers import META_COLUMNS
from omniretail.cdp.quality import transforms as tx
from omniretail.cdp.quality.junk import JunkConfig
from omniretail.cdp.quality.sqlgen import (
    EMAIL_PATTERN,
    REQUIRED,
    base_sql,
    col,
    convert_sql,
    input_sql,
    mapped_sql,
    needs_python,
)
from omniretail.platform.engine.base import AnalyticsEngine
from omniretail.platform.engine.dialect import ident as q
from omniretail.platform.engine.dialect import literal as lit

LINEAGE = ("_batch_id", "_file", "_row", "_loaded_at")
# what each landing batch's rows became in the latest run (shown per batch on the 数据接入 page)
BATCH_COUNTS = ("rows_read", "accepted", "fixed", "duplicates", "quarantined")


# amounts that can never be negative on a sale: a paid order of -5 is a refund recorded
# wrongly (or a typo), not revenue; a refund or return carries its own status
_SALE_AMOUNTS = ("gross_amount", "discount_amount", "paid_amount")
_SALE_STATUSES = "('paid', 'completed', 'complete', 'done')"


def _money_sign_reasons(ref: str, typed: dict[str, str], exists: str) -> list[str]:
    """Quarantine reasons for an order whose amounts have the wrong sign for its kind."""
    status = typed.get("status")
    is_sale = (
        f"coalesce(lower(CAST({status} AS VARCHAR)), 'paid') IN {_SALE_STATUSES}"
        if status
        else "TRUE"
    )
    return [
        f"WHEN {exists} AND {is_sale} AND TRY_CAST({typed[f]} AS DECIMAL(18, 2)) < 0 "
        f"THEN {lit(f'negative_amount:{ref}.{f}')}"
        for f in _SALE_AMOUNTS
        if f in typed
    ]


@dataclass
class Override:
    batch_id: str
    row: int
    raw: dict[str, Any]


@dataclass
class SourceResult:
    source: str
    entity_tables: dict[str, list[str]] = field(default_factory=dict)  # kind → engine tables
    stats: dict[str, Any] = field(default_factory=dict)
    quarantine: list[dict[str, Any]] = field(default_factory=list)
    batch_ids: set[str] = field(default_factory=set)
    by_batch: dict[str, dict[str, int]] = field(default_factory=dict)  # batch id → counts
    # the entity tables hold only rows of batches new since the last run, to be appended to
    # the std_ tables (the counter path's incremental run, counters_incremental.py)
    append_only: bool = False
    # kind → (work table already in the std_ table's shape, the SQL condition over alias ``t``
    # its rows to keep): finalize adopts it instead of copying when it is the kind's only part
    ready_tables: dict[str, tuple[str, str]] = field(default_factory=dict)


def _fields(entity: EntitySpec) -> dict[str, FieldSpec]:
    out = dict(entity.fields)
    if entity.source_record_id is not None:
        out["source_record_id"] = entity.source_record_id
    return out


class SourceStandardizer:
    def __init__(
        self,
        engine: AnalyticsEngine,
        *,
        source: str,
        mapping: Mapping,
        paths: list[str],
        overrides: list[Override],
        junk: JunkConfig,
        part: int = 0,
    ) -> None:
        self.e = engine
        self.source = source
        self.m = mapping
        self.paths = paths
        self.overrides = overrides
        self.junk = junk
        self.p = f"__q_{source}_{part}"
        self.s2_table = f"{self.p}_s2"  # the rows' outcome (quarantine and stats read it)
        self.by_batch: dict[str, dict[str, int]] = {}
        self._classify = ""  # the classifier columns' SQL (``, (CASE …) AS name`` …)
        self._py: list[str] = []  # the s1 columns the Python pass maps, in map-key order

    # -- stage 1 ------------------------------------------------------------------------
    def _raw(self) -> list[str]:
        landed = f"{self.p}_landed"
        self.e.register_parquet(landed, [Path(p) for p in self.paths])
        types = self.e.columns(landed)
        raw_cols = [c for c in types if c not in META_COLUMNS]
        if not self.overrides:  # a view: the landed Parquet is read where it lies
            self.e.create_view(self.p + "_raw", self._exploded(f"SELECT * FROM {q(landed)}"))
            return raw_cols + (["_item"] if self.m.explode else [])
        ovr = pa.table(
            {
                "_batch_id": [o.batch_id for o in self.overrides],
                "_row": pa.array([o.row for o in self.overrides], pa.int64()),
                "raw": [json.dumps(o.raw, ensure_ascii=False, default=str) for o in self.overrides],
            }
        )
        self.e.register_arrow(f"{self.p}_ovr", ovr, scratch=True)
        replaced = ", ".join(
            (
                f"nullif(json_extract_string(o.raw, {_json_path(c)}), '') AS {q(c)}"
                if types[c] == "VARCHAR"
                else f"TRY_CAST(json_extract(o.raw, {_json_path(c)}) AS {types[c]}) AS {q(c)}"
            )
            for c in raw_cols
        )
        self.e.materialize(
            f"{self.p}_raw",
            self._exploded(
                f"SELECT l.* FROM {q(landed)} l ANTI JOIN {q(self.p + '_ovr')} o "
                f"ON l._batch_id = o._batch_id AND l._row = o._row "
                f"UNION ALL "  # the same columns in the same order (Spark has no BY NAME)
                f"SELECT l.* REPLACE ({replaced}) FROM {q(landed)} l JOIN {q(self.p + '_ovr')} o "
                f"ON l._batch_id = o._batch_id AND l._row = o._row"
            ),
        )
        return raw_cols + (["_item"] if self.m.explode else [])

    def _exploded(self, sql: str) -> str:
        """One row per list element (an empty or missing list keeps its row, item null)."""
        if self.m.explode is None:
            return sql
        return self.e.explode(sql, self.m.explode.column, self.m.explode.as_, "_item")

    def _stage1(self, raw_cols: list[str]) -> None:
        classify = "".join(
            ", (CASE "
            + " ".join(f"WHEN {_cond(r.when)} THEN {lit(r.value)}" for r in c.rules)
            + f" ELSE {lit(c.default)} END) AS {q(name)}"
            for name, c in self.m.classify.items()
        )
        self._classify = classify
        rule = (
            "(CASE "
            + " ".join(f"WHEN {_cond(r.when)} THEN {lit(r.reason)}" for r in self.m.quarantine)
            + " END)"
            if self.m.quarantine
            else "CAST(NULL AS VARCHAR)"
        )
        cols = [f"{rule} AS __rule_reason"]
        cols += [q(n) for n in self.m.classify]
        for ent in self.m.entities:
            cols.append(f"{_cond(ent.when) if ent.when else 'TRUE'} AS {q('__when__' + ent.ref)}")
            for fname, spec in _fields(ent).items():
                cols.append(f"{input_sql(ent, fname, spec)} AS {q(col(ent.ref, fname))}")
                if spec.transforms and not needs_python(ent, fname, spec):
                    before = f"CAST({base_sql(spec)} AS VARCHAR)"
                    after = input_sql(ent, fname, spec)
                    cols.append(
                        f"CASE WHEN {before} IS DISTINCT FROM {after} THEN "
                        f"{lit(fname + '_normalized')} END AS {q(col(ent.ref, fname, '__pyfix'))}"
                    )
        self.e.create_view(
            f"{self.p}_s1",
            f"WITH r AS ({self._positioned(raw_cols)}), c AS (SELECT *{classify} FROM r) "
            f"SELECT {', '.join(LINEAGE)}, __pos, __dup_rank, {', '.join(cols)} FROM c",
        )

    def _positioned(self, raw_cols: list[str]) -> str:
        """The raw rows with ``__dup_rank`` and ``__pos``, a unique number in the order of
        ``_loaded_at, _batch_id, _row`` (and ``_item``). Without exploded lists
        ``(batch, _row)`` is unique, so the batch's rank among the batches (a small table)
        times 2^32 plus ``_row`` keeps that order without sorting every wide row, as a
        ``row_number()`` over the table would."""
        raw = q(self.p + "_raw")
        items = self.m.explode is not None  # the items of one row share its _row
        ranks = self._duplicate_ranks(raw_cols)
        on = "d._batch_id = r._batch_id AND d._row = r._row" + (
            " AND d._item = r._item" if items else ""
        )
        rank = "coalesce(d.__dup_rank, 1)" if ranks else "1"
        joined = f" LEFT JOIN ({ranks}) d ON {on}" if ranks else ""
        if items:
            return (
                f"SELECT r.*, {rank} AS __dup_rank, row_number() OVER "
                f"(ORDER BY r._loaded_at, r._batch_id, r._row, r._item) AS __pos "
                f"FROM {raw} r{joined}"
            )
        batches = (
            "SELECT _loaded_at AS __pos_l, _batch_id AS __pos_b, "
            "row_number() OVER (ORDER BY _loaded_at, _batch_id) * 4294967296 AS __pos_off "
            f"FROM (SELECT DISTINCT _loaded_at, _batch_id FROM {raw}) d"
        )
        return (
            f"SELECT r.*, {rank} AS __dup_rank, b.__pos_off + r._row AS __pos "
            f"FROM {raw} r JOIN ({batches}) b "
            "ON b.__pos_l IS NOT DISTINCT FROM r._loaded_at "
            f"AND b.__pos_b IS NOT DISTINCT FROM r._batch_id{joined}"
        )

    def _duplicate_ranks(self, raw_cols: list[str]) -> str | None:
        """``(_batch_id, _row[, _item], __dup_rank)`` of the rows that may have an exact copy
        (rank 1: the first of identical rows in load order), or None when the mapping keeps
        duplicates. Only rows whose hash of every raw column is seen more than once are ranked
        — identical rows hash alike, so no copy is missed, and a collision only ranks a few
        more rows — instead of a window sorting every row by every column."""
        if not (self.m.deduplicate and raw_cols):
            return None
        raw = q(self.p + "_raw")
        cols = ", ".join(q(c) for c in raw_cols)
        key = "_batch_id, _row" + (", _item" if self.m.explode is not None else "")
        return (
            f"SELECT {key}, row_number() OVER (PARTITION BY {cols} "
            f"ORDER BY _loaded_at, _batch_id, _row) AS __dup_rank FROM {raw} "
            f"WHERE hash({cols}) IN (SELECT hash({cols}) FROM {raw} GROUP BY 1 HAVING count(*) > 1)"
        )

    # -- stage 1b: library transforms on distinct values ----------------------------------
    def _python_pass(self) -> None:
        """Fields that need a Python library (phonenumbers, OpenCC...) are transformed once per
        distinct value: the distinct values of every such column in one query (from the raw
        rows, without stage 1's ranks), their results in one value map ``{p}_map`` (``k``: the
        column's number) that stage 2 joins in where it reads ``s1``."""
        fields = [
            (ent, fname, spec)
            for ent in self.m.entities
            for fname, spec in _fields(ent).items()
            if needs_python(ent, fname, spec)
        ]
        if not fields:
            return
        rows = f"(SELECT *{self._classify} FROM {q(self.p + '_raw')}) c"
        found = self.e.fetch_arrow(
            " UNION ALL ".join(
                f"SELECT DISTINCT {i} AS k, v FROM (SELECT {input_sql(ent, fname, spec)} AS v "
                f"FROM {rows}) x{i} WHERE v IS NOT NULL"
                for i, (ent, fname, spec) in enumerate(fields)
            )
        )
        per: list[list[str]] = [[] for _ in fields]
        for k, v in zip(
            found.column("k").to_pylist(), found.column("v").to_pylist(), strict=True
        ):
            per[int(k)].append(str(v))
        ks: list[int] = []
        values: list[str] = []
        outs: list[str | None] = []
        extra: list[str | None] = []
        fixes: list[str | None] = []
        for i, (ent, fname, spec) in enumerate(fields):
            o, x, f = self._python_values(ent, fname, spec, per[i])
            ks += [i] * len(per[i])
            values += per[i]
            outs += o
            extra += x
            fixes += f
            self._py.append(col(ent.ref, fname))
        table = pa.table(
            {
                "k": pa.array(ks, pa.int64()),
                "v": pa.array(values, pa.string()),
                "out": pa.array(outs, pa.string()),
                "extra": pa.array(extra, pa.string()),
                "fix": pa.array(fixes, pa.string()),
            }
        )
        self.e.register_arrow(f"{self.p}_map", table, scratch=True)

    def _s1_source(self) -> tuple[str, dict[str, str]]:
        """What stage 2 reads as ``s1`` (a table expression) and its columns' types: the view,
        with the Python pass's results in place of the columns it maps (and their ``__extra``
        and ``__pyfix`` columns)."""
        s1 = q(self.p + "_s1")
        types = self.e.columns(self.p + "_s1")
        if not self._py:
            return s1, types
        mapped = {c: i for i, c in enumerate(self._py)}
        sel = [f"m{mapped[c]}.out AS {q(c)}" if c in mapped else f"s.{q(c)}" for c in types]
        joins = ""
        for c, i in mapped.items():
            sel.append(f"m{i}.extra AS {q(c + '__extra')}, m{i}.fix AS {q(c + '__pyfix')}")
            types[c + "__extra"] = types[c + "__pyfix"] = "VARCHAR"
            joins += (
                f" LEFT JOIN (SELECT v, out, extra, fix FROM {q(self.p + '_map')} "
                f"WHERE k = {i}) m{i} ON s.{q(c)} = m{i}.v"
            )
        return f"(SELECT {', '.join(sel)} FROM {s1} s{joins}) s1", types

    def _python_values(
        self, ent: EntitySpec, fname: str, spec: FieldSpec, values: list[str]
    ) -> tuple[list[str | None], list[str | None], list[str | None]]:
        chained = tx.apply_chain(values, list(spec.transforms))
        standard = ent.kind == "identity" and spec.entity is None
        if standard and fname == "phone":  # most phones decided at once (clean_phones)
            return tx.clean_phones(chained, self.m.phone_region)
        outs: list[str | None] = []
        extra: list[str | None] = []
        fixes: list[str | None] = []
        for raw, v in zip(values, chained, strict=True):
            out: str | None = v
            ext: str | None = None
            fix: str | None = None
            if v is not None and standard and fname == "phone_masked":
                out = tx.normalize_masked(v)
                fix = (
                    None
                    if out == v
                    else ("phone_masked_invalid" if out is None else "phone_masked_normalized")
                )
            elif v is not None and standard and fname == "name":
                out = tx.clean_name(v)
            elif v is not None and standard and fname == "province":
                out = tx.canonical_province(v)
            elif v is not None and standard and fname == "city":
                out = tx.canonical_city(v)
            elif v is not None and standard and fname == "address":
                out = tx.clean_place(v)
            if out == "":
                out = None
            if fix is None and out != raw and out is not None and fname != "phone":
                fix = f"{fname}_normalized"
            outs.append(out)
            extra.append(ext)
            fixes.append(fix)
        return outs, extra, fixes

    # -- stage 2: types, standard rules, fixes, reasons ------------------------------------
    def _stage2(self) -> None:
        s1, types = self._s1_source()
        sel: list[str] = []
        reasons: list[str] = []
        today = date.today().isoformat()  # noqa: DTZ011 - local calendar date is meant
        for ent in self.m.entities:
            flds = _fields(ent)
            typed: dict[str, str] = {}
            fix_items: list[str] = []
            exists = q("__when__" + ent.ref)
            if ent.kind == "identity":
                exists = f"({exists} AND {q(col(ent.ref, 'source_record_id'))} IS NOT NULL)"
            sel.append(f"{exists} AS {q('__exists__' + ent.ref)}")
            required = set(REQUIRED.get(ent.kind, ())) | {f for f, s in flds.items() if s.required}
            for fname, spec in flds.items():
                c = col(ent.ref, fname)
                if spec.entity is not None:
                    sel.append(f"NULL AS {q(c)}")
                    continue
                val = convert_sql(
                    mapped_sql(q(c), spec, ent.kind, fname), spec, types.get(c, "VARCHAR")
                )
                if ent.kind == "identity" and spec.entity is None:
                    val, extra_fixes = self._identity_rule(fname, val, q(c), today)
                    fix_items += extra_fixes
                if c + "__pyfix" in types:
                    fix_items.append(q(c + "__pyfix"))
                invalid = f"({q(c)} IS NOT NULL AND {val} IS NULL)"
                if fname in required:
                    reasons.append(
                        f"WHEN {exists} AND {q(c)} IS NULL THEN {lit(f'missing:{ent.ref}.{fname}')}"
                    )
                    reasons.append(
                        f"WHEN {exists} AND {invalid} THEN {lit(f'invalid:{ent.ref}.{fname}')}"
                    )
                elif not (
                    ent.kind == "identity"
                    and fname in ("phone", "email", "birthday", "phone_masked")
                ):
                    fix_items.append(f"CASE WHEN {invalid} THEN {lit(f'{fname}_invalid')} END")
                if spec.default is not None:
                    fix_items.append(f"CASE WHEN {val} IS NULL THEN {lit(f'filled:{fname}')} END")
                    val = f"coalesce({val}, {lit(spec.default)})"
                sel.append(f"{val} AS {q(c)}")
                typed[fname] = val
                if c + "__extra" in types:
                    sel.append(q(c + "__extra"))
            if ent.kind == "identity":
                reasons.append(self._test_account_reason(ent, exists))
            if ent.kind == "order":
                reasons += _money_sign_reasons(ent.ref, typed, exists)
            fixes = "[" + ", ".join(fix_items) + "]" if fix_items else "[]"
            sel.append(
                f"CASE WHEN {exists} THEN list_filter(CAST({fixes} AS VARCHAR[]), "
                f"lambda x: x IS NOT NULL) END AS {q(ent.ref + '__fixes')}"
            )
        reason = (
            "CASE WHEN __rule_reason IS NOT NULL THEN __rule_reason "
            + " ".join(r for r in reasons if r)
            + " END"
        )
        classify = "".join(f", {q(n)}" for n in self.m.classify)
        inner = (
            f"SELECT {', '.join(LINEAGE)}, __pos, __dup_rank{classify}, "
            f"CASE WHEN __dup_rank = 1 THEN {reason} END AS __reason0, "
            f"{', '.join(sel)} FROM {s1}"
        )
        self.e.materialize(
            self.s2_table, f"SELECT *, __reason0 AS __reason FROM ({inner}) s", scratch=True
        )
        self._duplicate_keys()

    def _identity_rule(self, fname: str, val: str, raw: str, today: str) -> tuple[str, list[str]]:
        j = self.junk
        if fname == "phone":
            junk = ", ".join(lit(p) for p in j.junk_phones) or "NULL"
            return (
                f"CASE WHEN {val} IN ({junk}) THEN NULL ELSE {val} END",
                [f"CASE WHEN {val} IN ({junk}) THEN 'phone_junk' END"],
            )
        if fname == "email":
            norm = f"lower(trim({val}))"
            junk = ", ".join(lit(e) for e in j.junk_emails) or "NULL"
            ok = f"(regexp_matches({norm}, {lit(EMAIL_PATTERN)}) AND {norm} NOT IN ({junk}))"
            return (
                f"CASE WHEN {ok} THEN {norm} END",
                [
                    f"CASE WHEN {raw} IS NOT NULL AND {norm} IN ({junk}) THEN 'email_junk' "
                    f"WHEN {raw} IS NOT NULL AND NOT {ok} THEN 'email_invalid' "
                    f"WHEN {raw} IS NOT NULL AND {norm} <> {raw} THEN 'email_normalized' END"
                ],
            )
        if fname == "birthday":
            ph = ", ".join(f"DATE {lit(d)}" for d in j.placeholder_birthdays) or "NULL"
            ok = (
                f"({val} > DATE {lit(j.min_birthday)} AND {val} <= DATE {lit(today)} "
                f"AND {val} NOT IN ({ph}))"
            )
            return (
                f"CASE WHEN {ok} THEN {val} END",
                [
                    f"CASE WHEN {val} IN ({ph}) THEN 'birthday_placeholder' "
                    f"WHEN {raw} IS NOT NULL AND NOT coalesce({ok}, FALSE) "
                    "THEN 'birthday_invalid' END"
                ],
            )
        return val, []

    def _test_account_reason(self, ent: EntitySpec, exists: str) -> str:
        conds = []
        names = [n.lower() for n in self.junk.test_account_names]
        if "name" in ent.fields and names:
            conds.append(
                f"lower({q(col(ent.ref, 'name'))}) IN ({', '.join(lit(n) for n in names)})"
            )
        if "member_id" in ent.fields and self.junk.test_member_ids:
            ids = ", ".join(lit(i) for i in self.junk.test_member_ids)
            conds.append(f"CAST({q(col(ent.ref, 'member_id'))} AS VARCHAR) IN ({ids})")
        if not conds:
            return ""
        return f"WHEN {exists} AND ({' OR '.join(conds)}) THEN 'junk:test_account'"

    def _duplicate_keys(self) -> None:
        """Two different rows claiming the same key of an ungrouped entity: the later ones (by
        position) are quarantined ``duplicate_key``. ``s2`` is written with ``__reason`` =
        ``__reason0``; the positions of the later claims are read in one narrow query — for
        each such entity a window over the position and key of the rows whose key's hash is
        claimed more than once — and ``s2`` is rewritten only when there are some (rarely: a
        window over the wide rows sorts all their columns, on every run)."""
        s2 = q(self.s2_table)
        checked = [
            ent
            for ent in self.m.entities
            if not ENTITY_TABLES[ent.kind].grouped
            and all(k in ent.fields for k in ENTITY_TABLES[ent.kind].keys)
        ]
        if not checked:
            return
        ranks = []
        for i, ent in enumerate(checked):
            keys = ", ".join(q(col(ent.ref, k)) for k in ENTITY_TABLES[ent.kind].keys)
            ok = f"__reason0 IS NULL AND __dup_rank = 1 AND {q('__exists__' + ent.ref)}"
            seen = f"SELECT hash({keys}) FROM {s2} WHERE {ok} GROUP BY 1 HAVING count(*) > 1"
            ranks.append(
                f"SELECT __pos, {i} AS i FROM (SELECT __pos, row_number() OVER "
                f"(PARTITION BY {keys} ORDER BY __pos) AS __rn FROM {s2} WHERE {ok} "
                f"AND hash({keys}) IN ({seen})) x{i} WHERE __rn > 1"
            )
        first: dict[int, int] = {}  # position → the first entity (in mapping order) it repeats
        for r in self.e.fetch_rows(" UNION ALL ".join(ranks)):
            pos, i = int(r["__pos"]), int(r["i"])
            first[pos] = min(i, first.get(pos, i))
        if not first:
            return
        dk = f"{self.p}_dk"
        labels = [f"duplicate_key:{checked[i].ref}" for i in first.values()]
        self.e.register_arrow(
            dk,
            pa.table({"__pos": pa.array(list(first), pa.int64()), "label": labels}),
            scratch=True,
        )
        cols = [f"s.{q(c)}" for c in self.e.columns(self.s2_table) if c != "__reason"]
        self.e.materialize(
            self.s2_table,
            f"SELECT {', '.join(cols)}, coalesce(d.label, s.__reason) AS __reason "
            f"FROM {s2} s LEFT JOIN {q(dk)} d ON d.__pos = s.__pos",
            scratch=True,
        )
        self.e.drop(dk)

    # -- stage 3: entity tables -------------------------------------------------------------
    def _entity_tables(self) -> dict[str, list[str]]:
        s2 = f"{self.p}_s2"
        src = lit(self.source)
        out: dict[str, list[str]] = {}
        accepted = "__reason IS NULL AND __dup_rank = 1"
        for ent in self.m.entities:
            table = ENTITY_TABLES[ent.kind]
            flds = _fields(ent)
            exprs: dict[str, str] = {}
            for fname, spec in flds.items():
                if spec.entity is not None:
                    ref = spec.entity
                    exprs[fname] = (
                        f"CASE WHEN {q('__exists__' + ref)} THEN {src} || ':' || "
                        f"CAST({q(col(ref, 'source_record_id'))} AS VARCHAR) END"
                    )
                else:
                    exprs[fname] = q(col(ent.ref, fname))
            if ent.kind == "identity":
                exprs["record_key"] = (
                    f"{src} || ':' || CAST({q(col(ent.ref, 'source_record_id'))} AS VARCHAR)"
                )
                if "phone" in flds:
                    pm = q(col(ent.ref, "phone", "__extra"))
                    ph = exprs["phone"]
                    derived = (
                        f"CASE WHEN {ph} LIKE '+86%' AND length({ph}) = 14 "
                        f"THEN substr({ph}, 4, 3) || '****' || right({ph}, 4) END"
                    )
                    exprs["phone_masked"] = (
                        f"coalesce({exprs.get('phone_masked', 'NULL')}, {pm}, {derived})"
                    )
                if "observed_at" not in flds:
                    exprs["observed_at"] = "_loaded_at"
            if ent.kind == "order_line" and "line_no" not in flds:
                exprs["line_no"] = (
                    f"row_number() OVER (PARTITION BY {exprs['order_id']} ORDER BY __pos)"
                )
            exprs["source"] = src
            name = f"{self.p}_{ent.ref}"
            lineage = "_batch_id, _row, __pos"
            base = (
                f"SELECT {lineage}, {q(ent.ref + '__fixes')} AS fixes, "
                + ", ".join(
                    f"{v} AS {q(k)}"
                    for k, v in exprs.items()
                    if k in table.columns or k in ("record_key", "source")
                )
                + f" FROM {q(s2)} WHERE {accepted} AND {q('__exists__' + ent.ref)}"
            )
            if table.grouped:
                keys = ("source", *table.keys)
                base = self._grouped(base, ent, keys, [k for k in exprs if k in table.columns])
            self.e.materialize(name, base, scratch=True)
            out.setdefault(ent.kind, []).append(name)
        return out

    def _grouped(self, base: str, ent: EntitySpec, keys: tuple[str, ...], cols: list[str]) -> str:
        aggs = []
        for c in cols:
            if c in keys:
                continue
            spec = _fields(ent).get(c)
            how = (spec.aggregate if spec else None) or (
                "max" if c == "observed_at" else ("last" if ent.kind == "identity" else "first")
            )
            if how == "first":
                aggs.append(f"arg_min({q(c)}, __pos) FILTER (WHERE {q(c)} IS NOT NULL) AS {q(c)}")
            elif how == "last":
                aggs.append(f"arg_max({q(c)}, __pos) FILTER (WHERE {q(c)} IS NOT NULL) AS {q(c)}")
            else:
                aggs.append(f"{how}({q(c)}) AS {q(c)}")
        key_sql = ", ".join(q(k) for k in keys)
        return (
            f"SELECT {key_sql}, min(_batch_id) AS _batch_id, min(_row) AS _row, "
            "min(__pos) AS __pos, "
            f"list_distinct(flatten(list(fixes))) AS fixes, {', '.join(aggs)} "
            f"FROM ({base}) g GROUP BY {key_sql}"
        )

    # -- quarantine and stats -----------------------------------------------------------------
    def _quarantine_rows(self) -> list[dict[str, Any]]:
        s2, raw = self.s2_table, f"{self.p}_raw"
        rows = self.e.fetch_rows(
            "SELECT s._batch_id AS batch_id, s._file AS file, s._row AS row, "
            f"s.__reason AS reason, to_json(r) AS raw FROM {q(s2)} s JOIN {q(raw)} r "
            "ON r._batch_id = s._batch_id AND r._row = s._row "
            f"WHERE s.__reason IS NOT NULL AND s.__dup_rank = 1 ORDER BY s.__pos"
        )
        skip = set(META_COLUMNS) | {"_item"}
        if self.m.explode is not None:
            skip.add(self.m.explode.as_)
        out: dict[tuple[str, int], dict[str, Any]] = {}
        for r in rows:  # an exploded row is quarantined once, with its first reason
            if (r["batch_id"], r["row"]) in out:
                continue
            data = json.loads(r["raw"]) if isinstance(r["raw"], str) else dict(r["raw"])
            r["raw"] = {k: v for k, v in data.items() if k not in skip}
            r["source"] = self.source
            out[(r["batch_id"], r["row"])] = r
        return list(out.values())

    def _stats(self) -> dict[str, Any]:
        """The source's statistics and each batch's counts (``self.by_batch``), in one query
        over ``s2``: one row per batch (its counts), per quarantine reason, per fix rule, per
        classifier value and per entity reference that is missing (``kind``, ``k``, ``n`` and
        the batch counts). One query instead of one per figure: on Spark each is a job."""
        s2 = q(self.s2_table)
        fix_cols = [q(e.ref + "__fixes") for e in self.m.entities]
        all_fixes = f"list_distinct(flatten([{', '.join(f'coalesce({c}, [])' for c in fix_cols)}]))"
        acc = "__dup_rank = 1 AND __reason IS NULL"
        fixed = "len(list_filter(f, lambda x: NOT starts_with(x, 'filled:'))) > 0"
        filled = "len(list_filter(f, lambda x: starts_with(x, 'filled:'))) > 0"
        zero = ", ".join(f"CAST(NULL AS BIGINT) AS {k}" for k in (*BATCH_COUNTS, "filled"))
        refs = [
            (ent.ref, ref)
            for ent in self.m.entities
            for ref in {s.entity for s in ent.fields.values() if s.entity}
        ]
        parts = [
            "SELECT 'batch' AS kind, CAST(_batch_id AS VARCHAR) AS k, count(*) AS n, "
            "count(*) AS rows_read, "
            f"count(*) FILTER (WHERE {acc}) AS accepted, "
            f"count(*) FILTER (WHERE {acc} AND {fixed}) AS fixed, "
            "count(*) FILTER (WHERE __dup_rank > 1) AS duplicates, "
            "count(*) FILTER (WHERE __dup_rank = 1 AND __reason IS NOT NULL) AS quarantined, "
            f"count(*) FILTER (WHERE {acc} AND {filled}) AS filled FROM s GROUP BY _batch_id",
            f"SELECT 'reason', __reason, count(*), {zero} FROM s "
            "WHERE __dup_rank = 1 AND __reason IS NOT NULL GROUP BY __reason",
            f"SELECT 'rule', rule, count(*), {zero} FROM "
            f"(SELECT unnest(f) AS rule FROM s WHERE {acc}) r GROUP BY rule",
        ]
        parts += [
            f"SELECT {lit('class:' + name)}, CAST({q(name)} AS VARCHAR), count(*), {zero} "
            f"FROM s WHERE {acc} GROUP BY {q(name)}"
            for name in self.m.classify
        ]
        parts += [
            f"SELECT {lit(f'without:{i}')}, NULL, count(*), {zero} FROM s WHERE {acc} "
            f"AND {q('__exists__' + ent)} AND NOT {q('__exists__' + ref)}"
            for i, (ent, ref) in enumerate(refs)
        ]
        wanted = ["_batch_id", "__dup_rank", "__reason", *(q(n) for n in self.m.classify)]
        wanted += sorted({q("__exists__" + r) for pair in refs for r in pair})
        rows = self.e.fetch_rows(
            f"WITH s AS (SELECT {', '.join(wanted)}, {all_fixes} AS f FROM {s2}) "
            + " UNION ALL ".join(parts)
        )
        by_kind: dict[str, list[dict[str, Any]]] = {}
        for r in rows:
            by_kind.setdefault(str(r["kind"]), []).append(r)
        batches = sorted(by_kind.get("batch", []), key=lambda r: _null_last(r["k"]))
        self.by_batch = {str(r["k"]): {k: int(r[k]) for k in BATCH_COUNTS} for r in batches}
        total = {
            k: sum(int(r[k]) for r in batches)
            for k in ("rows_read", "duplicates", "quarantined", "accepted", "fixed", "filled")
        }

        def counted(kind: str) -> dict[str, int]:
            got = sorted(by_kind.get(kind, []), key=lambda r: _null_last(r["k"]))
            return {str(r["k"]): int(r["n"]) for r in got}

        classified: dict[str, Any] = {name: counted("class:" + name) for name in self.m.classify}
        for i, (ent, ref) in enumerate(refs):
            got = by_kind.get(f"without:{i}", [])
            classified[f"{ent}_without_{ref}"] = int(got[0]["n"]) if got else 0
        return {
            **total,
            "quarantined_by_reason": counted("reason"),
            "fixes_by_rule": counted("rule"),
            "classified": classified,
        }

    def run(self) -> SourceResult:
        raw_cols = self._raw()
        self._check_columns(raw_cols)
        self._stage1(raw_cols)
        self._python_pass()
        self._stage2()
        result = SourceResult(self.source)
        result.entity_tables = self._entity_tables()
        result.stats = self._stats()
        # most sources quarantine nothing: no query for their (no) rows
        result.quarantine = self._quarantine_rows() if result.stats["quarantined"] else []
        result.by_batch = self.by_batch
        result.batch_ids = set(self.by_batch)  # every landed row is a row of s2
        self._drop_stages()
        return result

    def _drop_stages(self) -> None:
        """Drop the stage tables once the source's entity tables, quarantine and statistics are
        taken from them: they are the source's widest copies (every raw column and its typed
        twin), and kept until the last source they added up to most of the step's memory."""
        stages = [f"{self.p}_{s}" for s in ("s1", "s2", "raw", "ovr")]
        stages += [f"{self.p}_map"] if self._py else []
        for name in stages:
            self.e.drop(name)

    def _check_columns(self, raw_cols: list[str]) -> None:
        from omniretail.cdp.ingest.errors import MappingError

        have = set(raw_cols) | set(META_COLUMNS)
        for i, ent in enumerate(self.m.entities):
            for fname, spec in _fields(ent).items():
                if spec.column is not None and spec.column not in have:
                    raise MappingError(
                        f"{self.source}: entities[{i}].fields.{fname}.column: the file has "
                        f"no column {spec.column!r} (columns: {', '.join(raw_cols)})",
                        field=f"entities[{i}].fields.{fname}.column",
                    )


def _null_last(value: Any) -> tuple[bool, str]:
    """Sort key of a statistics row's label: as SQL's ``ORDER BY`` (NULL last)."""
    return (value is None, "" if value is None else str(value))


def _json_path(column: str) -> str:
    return lit("$." + json.dumps(column, ensure_ascii=False))


def _cond(expr: str) -> str:
    from omniretail.cdp.ingest.expressions import to_sql

    return f"coalesce({to_sql(expr)}, FALSE)"
