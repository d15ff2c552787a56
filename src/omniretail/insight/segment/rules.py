"""Segment rules (人群圈选规则): a JSON tree compiled to canonical SQL.

A node is one of::

    {"all": [node, ...]}                      AND
    {"any": [node, ...]}                      OR
    {"not": node}                             NOT
    {"field": "rfm_group", "op": "in", "value": ["重要价值", "重要发展"]}
    {"field": "score.churn_probability", "op": "gte", "value": 0.6}
    {"purchase": {"category": "DUCK_NECK", "min_times": 2, "days": 90}}
    {"event": {"type": "store_visit", "min_times": 1, "days": 30}}
    {"no_event": {"type": "store_visit", "days": 30}}
    {"customer_list": {"label": "新品找人：藤椒鸭脖", "ids": ["C000123", ...]}}

``field`` is any tag of the catalogue (attributes, RFM group, lifecycle stage ...) or
``score.<column>`` of the ``customer_scores`` table when the models have produced it.
"purchase ... N times" counts distinct days with a paid purchase matching the filter
(category, sku and/or brand) within the last ``days`` days of the reference day; a category
alone reads ``ins_customer_category_day`` (one row per category × day × customer, sorted).
A ``customer_list`` is a frozen list of customers (at most ``MAX_LISTED``), such as the result of
新品找人 (the recommendation model's customers most likely to like a new product) saved as a
segment so a campaign can target it; ``label`` says where the list came from.
Every problem is reported with the path of the node at fault, e.g. ``all[1].field``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from omniretail.insight.tag.catalogue import all_tags
from omniretail.platform.errors import InvalidInput

OPS: dict[str, set[str]] = {
    "string": {"eq", "ne", "in", "not_in", "is_null", "not_null", "starts_with"},
    "integer": {
        "eq",
        "ne",
        "gt",
        "gte",
        "lt",
        "lte",
        "between",
        "in",
        "not_in",
        "is_null",
        "not_null",
    },
    "number": {"eq", "ne", "gt", "gte", "lt", "lte", "between", "is_null", "not_null"},
    "boolean": {"is_true", "is_false", "is_null", "not_null"},
    "date": {"eq", "gt", "gte", "lt", "lte", "between", "is_null", "not_null"},
}
_CMP = {"eq": "=", "ne": "<>", "gt": ">", "gte": ">=", "lt": "<", "lte": "<="}
_SAFE_TEXT = re.compile(r"^[^\x00-\x1f\\]*$")
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
MAX_DEPTH = 12
MAX_CONDITIONS = 100
MAX_LISTED = 5000
_CUSTOMER_ID = re.compile(r"^[A-Za-z0-9_.:@-]{1,64}$")


@dataclass(frozen=True)
class FieldSpec:
    sql: str
    type: str


def tag_fields() -> dict[str, FieldSpec]:
    return {t.id: FieldSpec(f"t.{t.id}", t.type) for t in all_tags()}


def score_type(arrow_type: str) -> str | None:
    t = arrow_type.lower()
    if t.startswith(("int", "uint")):
        return "integer"
    if t.startswith(("double", "float", "decimal")):
        return "number"
    if t in ("bool", "boolean"):
        return "boolean"
    if t.startswith(("string", "large_string")):
        return "string"
    if t.startswith("date"):
        return "date"
    return None


class _Compiler:
    def __init__(self, fields: dict[str, FieldSpec]) -> None:
        self.fields = fields
        self.conditions = 0
        self.uses_scores = False
        self.tables: set[str] = set()

    def fail(self, path: str, message: str) -> InvalidInput:
        return InvalidInput(
            f"{path or 'rule'}: {message}", field=f"rule.{path}" if path else "rule"
        )

    def node(self, node: Any, path: str, depth: int = 0) -> str:
        if depth > MAX_DEPTH:
            raise self.fail(path, f"rule nests deeper than {MAX_DEPTH} levels")
        if not isinstance(node, dict) or len(node) == 0:
            raise self.fail(path, "each node must be a JSON object")
        keys = set(node)
        for group, joiner in (("all", " AND "), ("any", " OR ")):
            if group in keys:
                self._only(node, {group}, path)
                children = node[group]
                if not isinstance(children, list) or not children:
                    raise self.fail(f"{path}.{group}".lstrip("."), "needs a non-empty list")
                parts = [
                    self.node(c, f"{path}.{group}[{i}]".lstrip("."), depth + 1)
                    for i, c in enumerate(children)
                ]
                return "(" + joiner.join(parts) + ")"
        if "not" in keys:
            self._only(node, {"not"}, path)
            return "(NOT " + self.node(node["not"], f"{path}.not".lstrip("."), depth + 1) + ")"
        self.conditions += 1
        if self.conditions > MAX_CONDITIONS:
            raise self.fail(path, f"more than {MAX_CONDITIONS} conditions")
        if "field" in keys:
            return self.condition(node, path)
        if "purchase" in keys:
            self._only(node, {"purchase"}, path)
            return self.purchase(node["purchase"], f"{path}.purchase".lstrip("."))
        if "customer_list" in keys:
            self._only(node, {"customer_list"}, path)
            return self.customer_list(node["customer_list"], f"{path}.customer_list".lstrip("."))
        if "event" in keys or "no_event" in keys:
            kind = "event" if "event" in keys else "no_event"
            self._only(node, {kind}, path)
            return self.event(node[kind], f"{path}.{kind}".lstrip("."), negate=kind == "no_event")
        raise self.fail(
            path,
            f"unknown node {sorted(keys)}; use all, any, not, field, purchase, event, no_event "
            "or customer_list",
        )

    def _only(self, node: dict[str, Any], allowed: set[str], path: str) -> None:
        extra = sorted(set(node) - allowed)
        if extra:
            raise self.fail(path, f"unexpected key(s) {extra} next to {sorted(allowed)}")

    # -- attribute / tag / score conditions -------------------------------------------
    def condition(self, node: dict[str, Any], path: str) -> str:
        self._only(node, {"field", "op", "value"}, path)
        name = node["field"]
        fpath = f"{path}.field".lstrip(".")
        if not isinstance(name, str):
            raise self.fail(fpath, "field must be a string")
        spec = self.fields.get(name)
        if spec is None:
            raise self.fail(fpath, f"unknown field {name!r} (not a tag or score column)")
        if name.startswith("score."):
            self.uses_scores = True
        op = node.get("op")
        opath = f"{path}.op".lstrip(".")
        if op not in OPS[spec.type]:
            raise self.fail(
                opath,
                f"operator {op!r} does not apply to {spec.type} field {name!r}; "
                f"use one of {sorted(OPS[spec.type])}",
            )
        vpath = f"{path}.value".lstrip(".")
        col = spec.sql
        if op in ("is_null", "not_null", "is_true", "is_false"):
            if "value" in node:
                raise self.fail(vpath, f"operator {op!r} takes no value")
            return {
                "is_null": f"{col} IS NULL",
                "not_null": f"{col} IS NOT NULL",
                "is_true": f"coalesce({col}, false)",
                "is_false": f"NOT coalesce({col}, false)",
            }[op]
        if "value" not in node:
            raise self.fail(vpath, f"operator {op!r} needs a value")
        value = node["value"]
        if op in ("in", "not_in"):
            if not isinstance(value, list) or not value:
                raise self.fail(vpath, f"operator {op!r} needs a non-empty list")
            items = ", ".join(
                self.literal(v, spec.type, f"{vpath}[{i}]") for i, v in enumerate(value)
            )
            neg = "NOT " if op == "not_in" else ""
            return f"{col} {neg}IN ({items})"
        if op == "between":
            if not isinstance(value, list) or len(value) != 2:
                raise self.fail(vpath, "between needs a list [low, high]")
            lo = self.literal(value[0], spec.type, f"{vpath}[0]")
            hi = self.literal(value[1], spec.type, f"{vpath}[1]")
            return f"{col} BETWEEN {lo} AND {hi}"
        if op == "starts_with":
            lit = self.literal(value, "string", vpath)
            return f"starts_with({col}, {lit})"
        return f"{col} {_CMP[op]} {self.literal(value, spec.type, vpath)}"

    def literal(self, value: Any, typ: str, path: str) -> str:
        if typ == "string":
            if not isinstance(value, str) or not _SAFE_TEXT.match(value) or len(value) > 200:
                raise self.fail(path, "expected a text value (no control characters or '\\')")
            return "'" + value.replace("'", "''") + "'"
        if typ == "integer":
            if isinstance(value, bool) or not isinstance(value, int):
                raise self.fail(path, f"expected a whole number, got {value!r}")
            return str(value)
        if typ == "number":
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise self.fail(path, f"expected a number, got {value!r}")
            return repr(float(value))
        if typ == "date":
            try:
                return f"DATE '{date.fromisoformat(str(value)).isoformat()}'"
            except ValueError:
                raise self.fail(path, f"expected an ISO date (YYYY-MM-DD), got {value!r}") from None
        raise self.fail(path, f"values of type {typ} are not comparable")

    # -- event conditions ----------------------------------------------------------------
    def _int(self, spec: dict[str, Any], key: str, path: str, default: int | None) -> int:
        v = spec.get(key, default)
        if isinstance(v, bool) or not isinstance(v, int) or v < 1 or v > 3650:
            raise self.fail(f"{path}.{key}", "expected a whole number between 1 and 3650")
        return v

    def purchase(self, spec: Any, path: str) -> str:
        if not isinstance(spec, dict):
            raise self.fail(path, "purchase needs an object")
        extra = sorted(set(spec) - {"category", "sku", "brand", "min_times", "days"})
        if extra:
            raise self.fail(
                path, f"unknown key(s) {extra}; use category, sku, brand, min_times, days"
            )
        times = self._int(spec, "min_times", path, 1)
        days = self._int(spec, "days", path, 365)
        since = f"(SELECT as_of FROM ins_as_of) - {days}"
        if set(spec) - {"min_times", "days"} == {"category"}:
            # the common case reads the precomputed category × day × customer table
            cat = self.literal(spec["category"], "string", f"{path}.category")
            self.tables |= {"ins_customer_category_day", "ins_as_of"}
            return (
                "t.customer_id IN (SELECT customer_id FROM ins_customer_category_day "
                f"WHERE category_code = {cat} AND order_day > {since} "
                f"GROUP BY customer_id HAVING count(*) >= {times})"
            )
        filters = []
        for key, col in (("category", "p.category_code"), ("sku", "s.sku"), ("brand", "p.brand")):
            if key in spec:
                filters.append(f"{col} = {self.literal(spec[key], 'string', f'{path}.{key}')}")
        where = " AND ".join([f"s.order_day > {since}", *filters])
        self.tables |= {"ins_customer_sku_day", "dim_product", "ins_as_of"}
        return (
            "t.customer_id IN (SELECT s.customer_id FROM ins_customer_sku_day s "
            f"LEFT JOIN dim_product p ON p.sku = s.sku WHERE {where} GROUP BY s.customer_id "
            f"HAVING count(DISTINCT s.order_day) >= {times})"
        )

    def customer_list(self, spec: Any, path: str) -> str:
        if not isinstance(spec, dict):
            raise self.fail(path, "customer_list needs an object {label, ids}")
        extra = sorted(set(spec) - {"label", "ids"})
        if extra:
            raise self.fail(path, f"unknown key(s) {extra}; use label, ids")
        label = spec.get("label", "")
        if not isinstance(label, str) or len(label) > 200 or not _SAFE_TEXT.match(label):
            raise self.fail(f"{path}.label", "expected a short text label")
        ids = spec.get("ids")
        if not isinstance(ids, list) or not ids:
            raise self.fail(f"{path}.ids", "needs a non-empty list of customer ids")
        if len(ids) > MAX_LISTED:
            raise self.fail(f"{path}.ids", f"lists at most {MAX_LISTED} customers, got {len(ids)}")
        for i, v in enumerate(ids):
            if not isinstance(v, str) or not _CUSTOMER_ID.match(v):
                raise self.fail(f"{path}.ids[{i}]", f"not a customer id: {v!r}")
        items = ", ".join(f"'{v}'" for v in dict.fromkeys(ids))
        return f"t.customer_id IN ({items})"

    def event(self, spec: Any, path: str, *, negate: bool) -> str:
        if not isinstance(spec, dict):
            raise self.fail(path, "needs an object")
        allowed = {"type", "days"} | (set() if negate else {"min_times"})
        extra = sorted(set(spec) - allowed)
        if extra:
            raise self.fail(path, f"unknown key(s) {extra}; use {sorted(allowed)}")
        etype = spec.get("type")
        if not isinstance(etype, str) or not _IDENT.match(etype):
            raise self.fail(f"{path}.type", "expected an event type such as store_visit")
        days = self._int(spec, "days", path, 30)
        times = 1 if negate else self._int(spec, "min_times", path, 1)
        self.tables |= {"events", "ins_as_of"}
        sub = (
            "SELECT customer_id FROM events WHERE event_type = "
            f"'{etype}' AND CAST(occurred_at AS DATE) > (SELECT as_of FROM ins_as_of) - {days} "
            f"GROUP BY customer_id HAVING count(*) >= {times}"
        )
        return f"t.customer_id {'NOT ' if negate else ''}IN ({sub})"


@dataclass(frozen=True)
class CompiledRule:
    where: str
    uses_scores: bool
    conditions: int
    tables: tuple[str, ...] = ()

    def from_sql(self) -> str:
        scores = (
            " LEFT JOIN customer_scores s ON s.customer_id = t.customer_id"
            if self.uses_scores
            else ""
        )
        return f"customer_tags t{scores}"

    def required_tables(self) -> tuple[str, ...]:
        """Every table the compiled rule reads (to name what a snapshot lacks)."""
        scores = ("customer_scores",) if self.uses_scores else ()
        return ("customer_tags", *scores, *self.tables)


def compile_rule(rule: Any, *, score_columns: dict[str, str] | None = None) -> CompiledRule:
    """Validate ``rule`` and compile it to a WHERE clause over ``customer_tags t``."""
    fields = tag_fields()
    for col, typ in (score_columns or {}).items():
        if col != "customer_id" and _IDENT.match(col):
            fields[f"score.{col}"] = FieldSpec(f"s.{col}", typ)
    c = _Compiler(fields)
    where = c.node(rule, "")
    return CompiledRule(
        where=where,
        uses_scores=c.uses_scores,
        conditions=c.conditions,
        tables=tuple(sorted(c.tables)),
    )
