"""Standardize one source: landed raw rows + its mapping → canonical records, fixes, quarantine.

Stages, all materialized in the analytics engine (canonical DuckDB SQL):

1. ``raw``: the source's landing batches, with fixed quarantine records swapped in.
2. ``s1``: per row its position, exact-duplicate rank, classifier labels, row-rule reason, and
   every entity field's input value (SQL transforms applied).
3. Python pass: library transforms (phones, traditional → simplified, full-width) on the
   *distinct* values of each column needing them, joined back.
4. ``s2``: typed values, standard cleaning rules, fix labels, quarantine reason per row.
5. one table per entity of the mapping, built from the accepted rows.
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
        self._maps = 0  # the Python pass's value maps (``{p}_map0`` ...)

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
                f"UNION ALL BY NAME "
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
        order = "_loaded_at, _batch_id, _row"
        dup = (
            f"row_number() OVER (PARTITION BY {', '.join(q(c) for c in raw_cols)} ORDER BY {order})"
            if self.m.deduplicate and raw_cols
            else "1"
        )
        classify = "".join(
            ", (CASE "
            + " ".join(f"WHEN {_cond(r.when)} THEN {lit(r.value)}" for r in c.rules)
            + f" ELSE {lit(c.default)} END) AS {q(name)}"
            for name, c in self.m.classify.items()
        )
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
        self.e.materialize(
            f"{self.p}_s1",
            f"WITH r AS ({self._positioned(dup, order)}), c AS (SELECT *{classify} FROM r) "
            f"SELECT {', '.join(LINEAGE)}, __pos, __dup_rank, {', '.join(cols)} FROM c",
            scratch=True,
        )

    def _positioned(self, dup: str, order: str) -> str:
        """The raw rows with ``__dup_rank`` and ``__pos``, a unique number in the order of
        ``_loaded_at, _batch_id, _row``. Without exploded lists ``(batch, _row)`` is unique, so
        the batch's rank among the batches (a small table) times 2^32 plus ``_row`` keeps that
        order without sorting every wide row, as a ``row_number()`` over the table would."""
        raw = q(self.p + "_raw")
        if self.m.explode is not None:  # the items of one row share its _row
            return (
                f"SELECT *, {dup} AS __dup_rank, row_number() OVER (ORDER BY {order}) AS __pos "
                f"FROM {raw}"
            )
        batches = (
            "SELECT _loaded_at AS __pos_l, _batch_id AS __pos_b, "
            "row_number() OVER (ORDER BY _loaded_at, _batch_id) * 4294967296 AS __pos_off "
            f"FROM (SELECT DISTINCT _loaded_at, _batch_id FROM {raw}) d"
        )
        return (
            f"SELECT * EXCLUDE (__pos_l, __pos_b, __pos_off), {dup} AS __dup_rank, "
            f"__pos_off + _row AS __pos FROM {raw} JOIN ({batches}) b "
            "ON b.__pos_l IS NOT DISTINCT FROM _loaded_at "
            "AND b.__pos_b IS NOT DISTINCT FROM _batch_id"
        )

    # -- stage 1b: library transforms on distinct values ----------------------------------
    def _python_pass(self) -> None:
        """Fields that need a Python library (phonenumbers, OpenCC...) are transformed once per
        distinct value; the results are joined back in one pass over the stage-1 table."""
        s1 = f"{self.p}_s1"
        joins: list[tuple[str, str]] = []  # (column, registered map table)
        for ent in self.m.entities:
            for fname, spec in _fields(ent).items():
                if not needs_python(ent, fname, spec):
                    continue
                c = col(ent.ref, fname)
                values = [
                    str(r["v"])
                    for r in self.e.fetch_rows(
                        f"SELECT DISTINCT {q(c)} AS v FROM {q(s1)} WHERE {q(c)} IS NOT NULL"
                    )
                ]
                outs, extra, fixes = self._python_values(ent, fname, spec, values)
                table = pa.table(
                    {
                        "v": pa.array(values, pa.string()),
                        "out": pa.array(outs, pa.string()),
                        "extra": pa.array(extra, pa.string()),
                        "fix": pa.array(fixes, pa.string()),
                    }
                )
                m = f"{self.p}_map{len(joins)}"
                self._maps = len(joins) + 1
                self.e.register_arrow(m, table, scratch=True)
                joins.append((c, m))
        if not joins:
            return
        replace = ", ".join(f"m{i}.out AS {q(c)}" for i, (c, _m) in enumerate(joins))
        added = ", ".join(
            f"m{i}.extra AS {q(c + '__extra')}, m{i}.fix AS {q(c + '__pyfix')}"
            for i, (c, _m) in enumerate(joins)
        )
        on = " ".join(
            f"LEFT JOIN {q(m)} m{i} ON s.{q(c)} = m{i}.v" for i, (c, m) in enumerate(joins)
        )
        self.e.materialize(
            s1, f"SELECT s.* REPLACE ({replace}), {added} FROM {q(s1)} s {on}", scratch=True
        )

    def _python_values(
        self, ent: EntitySpec, fname: str, spec: FieldSpec, values: list[str]
    ) -> tuple[list[str | None], list[str | None], list[str | None]]:
        chained = tx.apply_chain(values, list(spec.transforms))
        outs: list[str | None] = []
        extra: list[str | None] = []
        fixes: list[str | None] = []
        standard = ent.kind == "identity" and spec.entity is None
        for raw, v in zip(values, chained, strict=True):
            out: str | None = v
            ext: str | None = None
            fix: str | None = None
            if v is not None and standard and fname == "phone":
                out, ext, fix = tx.clean_phone(v, self.m.phone_region)
            elif v is not None and standard and fname == "phone_masked":
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
        s1 = f"{self.p}_s1"
        types = self.e.columns(s1)
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
            f"{', '.join(sel)} FROM {q(s1)}"
        )
        self.e.materialize(
            f"{self.p}_s2",
            f"SELECT *, {self._duplicate_keys()} AS __reason FROM ({inner}) s",
            scratch=True,
        )

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

    def _duplicate_keys(self) -> str:
        """Two different rows claiming the same key of an ungrouped entity: keep the first."""
        checks = []
        for ent in self.m.entities:
            table = ENTITY_TABLES[ent.kind]
            if table.grouped or not all(k in ent.fields for k in table.keys):
                continue
            keys = ", ".join(q(col(ent.ref, k)) for k in table.keys)
            ok = f"(__reason0 IS NULL AND __dup_rank = 1 AND {q('__exists__' + ent.ref)})"
            checks.append(
                f"WHEN {ok} AND row_number() OVER (PARTITION BY {ok}, {keys} ORDER BY __pos) > 1 "
                f"THEN {lit('duplicate_key:' + ent.ref)}"
            )
        return (
            f"CASE WHEN __reason0 IS NOT NULL THEN __reason0 {' '.join(checks)} END"
            if checks
            else "__reason0"
        )

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
        s2 = f"{self.p}_s2"
        head = self.e.fetch_rows(
            "SELECT count(*) AS rows_read, "
            "count(*) FILTER (WHERE __dup_rank > 1) AS duplicates, "
            "count(*) FILTER (WHERE __dup_rank = 1 AND __reason IS NOT NULL) AS quarantined "
            f"FROM {q(s2)}"
        )[0]
        fix_cols = [q(e.ref + "__fixes") for e in self.m.entities]
        all_fixes = f"list_distinct(flatten([{', '.join(f'coalesce({c}, [])' for c in fix_cols)}]))"
        acc = f"FROM {q(s2)} WHERE __dup_rank = 1 AND __reason IS NULL"
        counts = self.e.fetch_rows(
            f"SELECT count(*) AS accepted, "
            "count(*) FILTER (WHERE len(list_filter(f, "
            "lambda x: NOT starts_with(x, 'filled:'))) > 0) AS fixed, "
            "count(*) FILTER (WHERE len(list_filter(f, "
            "lambda x: starts_with(x, 'filled:'))) > 0) AS filled "
            f"FROM (SELECT {all_fixes} AS f {acc})"
        )[0]
        by_rule = {
            r["rule"]: int(r["n"])
            for r in self.e.fetch_rows(
                f"SELECT rule, count(*) AS n FROM (SELECT unnest({all_fixes}) AS rule {acc}) "
                "GROUP BY rule ORDER BY rule"
            )
        }
        by_reason = {
            r["reason"]: int(r["n"])
            for r in self.e.fetch_rows(
                f"SELECT __reason AS reason, count(*) AS n FROM {q(s2)} WHERE __dup_rank = 1 "
                f"AND __reason IS NOT NULL GROUP BY 1 ORDER BY 1"
            )
        }
        self.by_batch = {
            str(r["b"]): {k: int(r[k]) for k in BATCH_COUNTS}
            for r in self.e.fetch_rows(
                "SELECT _batch_id AS b, count(*) AS rows_read, "
                "count(*) FILTER (WHERE __dup_rank > 1) AS duplicates, "
                "count(*) FILTER (WHERE __dup_rank = 1 AND __reason IS NOT NULL) AS quarantined, "
                "count(*) FILTER (WHERE __dup_rank = 1 AND __reason IS NULL) AS accepted, "
                "count(*) FILTER (WHERE __dup_rank = 1 AND __reason IS NULL AND len(list_filter("
                "f, lambda x: NOT starts_with(x, 'filled:'))) > 0) AS fixed "
                f"FROM (SELECT _batch_id, __dup_rank, __reason, {all_fixes} AS f FROM {q(s2)}) "
                "GROUP BY 1 ORDER BY 1"
            )
        }
        classified: dict[str, Any] = {}
        for name in self.m.classify:
            classified[name] = {
                str(r["v"]): int(r["n"])
                for r in self.e.fetch_rows(
                    f"SELECT {q(name)} AS v, count(*) AS n {acc} GROUP BY 1 ORDER BY 1"
                )
            }
        for ent in self.m.entities:
            refs = {s.entity for s in ent.fields.values() if s.entity}
            for ref in refs:
                n = self.e.scalar(
                    f"SELECT count(*) {acc} AND {q('__exists__' + ent.ref)} "
                    f"AND NOT {q('__exists__' + ref)}"
                )
                classified[f"{ent.ref}_without_{ref}"] = int(n or 0)
        return {
            "rows_read": int(head["rows_read"]),
            "duplicates": int(head["duplicates"]),
            "quarantined": int(head["quarantined"]),
            "accepted": int(counts["accepted"]),
            "fixed": int(counts["fixed"]),
            "filled": int(counts["filled"]),
            "quarantined_by_reason": by_reason,
            "fixes_by_rule": by_rule,
            "classified": classified,
        }

    def run(self) -> SourceResult:
        raw_cols = self._raw()
        self._check_columns(raw_cols)
        self._stage1(raw_cols)
        self._python_pass()
        self._stage2()
        result = SourceResult(self.source)
        result.batch_ids = {
            str(r["b"])
            for r in self.e.fetch_rows(f"SELECT DISTINCT _batch_id AS b FROM {q(self.p + '_raw')}")
        }
        result.entity_tables = self._entity_tables()
        result.quarantine = self._quarantine_rows()
        result.stats = self._stats()
        result.by_batch = self.by_batch
        self._drop_stages()
        return result

    def _drop_stages(self) -> None:
        """Drop the stage tables once the source's entity tables, quarantine and statistics are
        taken from them: they are the source's widest copies (every raw column and its typed
        twin), and kept until the last source they added up to most of the step's memory."""
        stages = [f"{self.p}_{s}" for s in ("s1", "s2", "raw", "ovr")]
        stages += [f"{self.p}_map{i}" for i in range(self._maps)]
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


def _json_path(column: str) -> str:
    return lit("$." + json.dumps(column, ensure_ascii=False))


def _cond(expr: str) -> str:
    from omniretail.cdp.ingest.expressions import to_sql

    return f"coalesce({to_sql(expr)}, FALSE)"
