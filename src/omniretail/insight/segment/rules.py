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
Every problem is reported with the path of the node at fault, e.g. ``all[1].field``, in
English (``detail``, for the API and the CLI) and as a catalog message the console shows in the
reader's language, naming the condition by its position and its field's label ("第 2 个条件
（累计订单数）：取值应为整数").
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from omniretail.insight.tag.catalogue import all_tags
from omniretail.platform.errors import InvalidInput
from omniretail.platform.i18n import N_, LazyText, current_locale, lazy_pair

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


# Model scores a rule may use (``score.<column>`` of customer_scores), in the builder's words.
SCORE_LABELS = {
    "expected_value_365d": ("预期一年消费额（CLV，元）", "Expected value in a year (CLV, ¥)"),
    "expected_value_90d": ("预期90天消费额（元）", "Expected value in 90 days (¥)"),
    "expected_purchases_365d": ("预期一年购买次数", "Expected purchases in a year"),
    "p_alive": ("仍活跃概率", "Probability still active"),
    "churn_risk": ("流失风险（0–1）", "Churn risk (0–1)"),
    "replenishment_due_in_days": ("距复购到期天数", "Days until repurchase is due"),
}
# What the user reads for each operator (the segment builder shows the same words).
OP_LABELS = {
    "eq": ("等于", "equals"),
    "ne": ("不等于", "not equal"),
    "gt": ("大于", "greater than"),
    "gte": ("大于等于", "at least"),
    "lt": ("小于", "less than"),
    "lte": ("小于等于", "at most"),
    "between": ("介于", "between"),
    "in": ("属于", "is one of"),
    "not_in": ("不属于", "is none of"),
    "is_null": ("为空", "is empty"),
    "not_null": ("不为空", "is not empty"),
    "is_true": ("是", "is yes"),
    "is_false": ("否", "is no"),
    "starts_with": ("开头是", "starts with"),
}
# The parts of a rule a path names, in words: (zh, en).
_PART_LABELS = {
    "all": ("「全部满足」条件组", "the all-of group"),
    "any": ("「任一满足」条件组", "the any-of group"),
    "not": ("「排除」条件", "the not condition"),
    "purchase": ("购买条件", "the purchase condition"),
    "event": ("行为条件", "the event condition"),
    "no_event": ("未发生行为条件", "the no-event condition"),
    "customer_list": ("客户名单", "the customer list"),
    "category": ("品类", "category"),
    "sku": ("商品", "product"),
    "brand": ("品牌", "brand"),
    "min_times": ("至少次数", "at least times"),
    "days": ("最近天数", "in the last days"),
    "type": ("行为类型", "event type"),
    "label": ("名单名称", "list label"),
    "ids": ("客户编号", "customer ids"),
}
_INDEXED = re.compile(r"^(all|any|value|ids)\[(\d+)\]$")

# The messages the console shows for a bad rule (``%(where)s`` names the condition).
DEPTH = N_("%(where)s: the rule nests deeper than %(max)s levels")
NOT_OBJECT = N_("%(where)s: each condition must be an object")
EMPTY_GROUP = N_("%(where)s: a group needs at least one condition")
TOO_MANY = N_("%(where)s: a rule may have at most %(max)s conditions")
UNKNOWN_NODE = N_(
    "%(where)s: unknown kind of condition %(keys)s; use a field, purchase, event or "
    "customer-list condition, or an all/any/not group"
)
EXTRA_KEYS = N_("%(where)s: unexpected key(s) %(keys)s; use %(allowed)s")
FIELD_NOT_TEXT = N_("%(where)s: the field must be a tag name")
UNKNOWN_FIELD = N_("%(where)s: unknown field %(name)s (not a tag or model score)")
BAD_OP = N_("%(where)s: the operator “%(op)s” does not apply to this field; use one of %(ops)s")
TAKES_NO_VALUE = N_("%(where)s: the operator “%(op)s” takes no value")
NEEDS_VALUE = N_("%(where)s: the operator “%(op)s” needs a value")
NEEDS_LIST = N_("%(where)s: the operator “%(op)s” needs at least one value")
BETWEEN = N_("%(where)s: between needs two values, the low and the high end")
VALUE_MISSING = N_("%(where)s: fill in a value")
NOT_TEXT = N_(
    "%(where)s: expected a text of at most 200 characters without control characters or backslashes"
)
NOT_INTEGER = N_("%(where)s: expected a whole number, got %(value)s")
NOT_NUMBER = N_("%(where)s: expected a number, got %(value)s")
NOT_DATE = N_("%(where)s: expected a date (YYYY-MM-DD), got %(value)s")
NOT_COMPARABLE = N_("%(where)s: values of this field cannot be compared")
OUT_OF_RANGE = N_("%(where)s: expected a whole number between 1 and 3650")
NEEDS_OBJECT = N_("%(where)s: this condition needs an object")
BAD_LABEL = N_("%(where)s: expected a short text label")
NO_IDS = N_("%(where)s: the list needs at least one customer id")
TOO_MANY_IDS = N_("%(where)s: a list holds at most %(max)s customers, this one has %(n)s")
NOT_AN_ID = N_("%(where)s: %(value)s is not a customer id")
NOT_EVENT_TYPE = N_("%(where)s: expected an event type such as store_visit")
RULE_MESSAGES = (
    DEPTH,
    NOT_OBJECT,
    EMPTY_GROUP,
    TOO_MANY,
    UNKNOWN_NODE,
    EXTRA_KEYS,
    FIELD_NOT_TEXT,
    UNKNOWN_FIELD,
    BAD_OP,
    TAKES_NO_VALUE,
    NEEDS_VALUE,
    NEEDS_LIST,
    BETWEEN,
    VALUE_MISSING,
    NOT_TEXT,
    NOT_INTEGER,
    NOT_NUMBER,
    NOT_DATE,
    NOT_COMPARABLE,
    OUT_OF_RANGE,
    NEEDS_OBJECT,
    BAD_LABEL,
    NO_IDS,
    TOO_MANY_IDS,
    NOT_AN_ID,
    NOT_EVENT_TYPE,
)


@dataclass(frozen=True)
class FieldSpec:
    sql: str
    type: str
    zh: str | None = None
    en: str | None = None


def tag_fields() -> dict[str, FieldSpec]:
    return {t.id: FieldSpec(f"t.{t.id}", t.type, t.zh, t.en) for t in all_tags()}


def op_label(op: Any) -> str:
    """An operator in the reader's words (an unknown one as given)."""
    if isinstance(op, str) and op in OP_LABELS:
        return lazy_pair(*OP_LABELS[op])
    return json.dumps(op, ensure_ascii=False)


def shown_value(value: Any) -> str:
    """A value as the user gave it, short (for a message)."""
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 60 else text[:57] + "…"


def where_label(path: str, field: FieldSpec | None = None, name: str | None = None) -> LazyText:
    """The node at ``path`` in words, with its field's label: "第 2 个条件（累计订单数）",
    "condition 2 (Total orders)"; the whole rule when the path is empty."""
    zh: list[str] = []
    en: list[str] = []
    for token in path.split(".") if path else []:
        m = _INDEXED.match(token)
        if m and m.group(1) in ("all", "any"):
            n = int(m.group(2)) + 1
            zh.append(f"第 {n} 个条件")
            en.append(f"condition {n}")
        elif m:
            n = int(m.group(2)) + 1
            if m.group(1) == "value":
                zh.append(f"第 {n} 个取值")
                en.append(f"value {n}")
            else:
                zh.append(f"第 {n} 个客户编号")
                en.append(f"customer id {n}")
        elif token in _PART_LABELS:
            zh.append(_PART_LABELS[token][0])
            en.append(_PART_LABELS[token][1])
    if field is not None and field.zh:
        zh_field, en_field = field.zh, field.en or field.zh
    elif name:
        zh_field = en_field = name
    else:
        zh_field = en_field = ""
    if len(zh) > 3:  # deep in nested groups: the innermost parts say enough
        zh, en = ["…", *zh[-3:]], ["…", *en[-3:]]
    zh_text = " › ".join(zh) or ("条件" if zh_field else "规则")
    en_text = " › ".join(en) or ("the condition" if en_field else "the rule")
    if zh_field:
        zh_text += f"（{zh_field}）"
        en_text += f" ({en_field})"
    return LazyText(en_text, lambda: zh_text if current_locale() == "zh_CN" else en_text)


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
        self._condition: tuple[str, str] | None = None  # the field condition being read

    def fail(self, path: str, detail: str, message: str, **params: Any) -> InvalidInput:
        """The error at ``path``: ``detail`` in English, ``message`` (a catalog id) with the
        condition's position and field label as ``where``."""
        spec: FieldSpec | None = None
        name: str | None = None
        if self._condition is not None:
            cpath, cname = self._condition
            if path == cpath or path.startswith(f"{cpath}.") or not cpath:
                spec, name = self.fields.get(cname), cname
        return InvalidInput(
            f"{path or 'rule'}: {detail}",
            field=f"rule.{path}" if path else "rule",
            message=message,
            params={"where": where_label(path, spec, name), **params},
        )

    def node(self, node: Any, path: str, depth: int = 0) -> str:
        if depth > MAX_DEPTH:
            raise self.fail(
                path, f"rule nests deeper than {MAX_DEPTH} levels", DEPTH, max=MAX_DEPTH
            )
        if not isinstance(node, dict) or len(node) == 0:
            raise self.fail(path, "each node must be a JSON object", NOT_OBJECT)
        keys = set(node)
        for group, joiner in (("all", " AND "), ("any", " OR ")):
            if group in keys:
                self._only(node, {group}, path)
                children = node[group]
                if not isinstance(children, list) or not children:
                    raise self.fail(
                        f"{path}.{group}".lstrip("."), "needs a non-empty list", EMPTY_GROUP
                    )
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
            raise self.fail(
                path, f"more than {MAX_CONDITIONS} conditions", TOO_MANY, max=MAX_CONDITIONS
            )
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
            UNKNOWN_NODE,
            keys=", ".join(sorted(keys)),
        )

    def _only(self, node: dict[str, Any], allowed: set[str], path: str) -> None:
        extra = sorted(set(node) - allowed)
        if extra:
            raise self.fail(
                path,
                f"unexpected key(s) {extra} next to {sorted(allowed)}",
                EXTRA_KEYS,
                keys=", ".join(extra),
                allowed=", ".join(sorted(allowed)),
            )

    # -- attribute / tag / score conditions -------------------------------------------
    def condition(self, node: dict[str, Any], path: str) -> str:
        self._condition = None
        self._only(node, {"field", "op", "value"}, path)
        name = node["field"]
        fpath = f"{path}.field".lstrip(".")
        if not isinstance(name, str):
            raise self.fail(fpath, "field must be a string", FIELD_NOT_TEXT)
        spec = self.fields.get(name)
        if spec is None:
            raise self.fail(
                fpath,
                f"unknown field {name!r} (not a tag or score column)",
                UNKNOWN_FIELD,
                name=shown_value(name),
            )
        self._condition = (path, name)
        if name.startswith("score."):
            self.uses_scores = True
        op = node.get("op")
        opath = f"{path}.op".lstrip(".")
        if op not in OPS[spec.type]:
            ops = sorted(OPS[spec.type])
            raise self.fail(
                opath,
                f"operator {op!r} does not apply to {spec.type} field {name!r}; use one of {ops}",
                BAD_OP,
                op=op_label(op),
                ops=LazyText(
                    ", ".join(ops),
                    lambda: (
                        "、".join(str(op_label(o)) for o in ops)
                        if current_locale() == "zh_CN"
                        else ", ".join(str(op_label(o)) for o in ops)
                    ),
                ),
            )
        vpath = f"{path}.value".lstrip(".")
        col = spec.sql
        if op in ("is_null", "not_null", "is_true", "is_false"):
            if "value" in node:
                raise self.fail(
                    vpath, f"operator {op!r} takes no value", TAKES_NO_VALUE, op=op_label(op)
                )
            return {
                "is_null": f"{col} IS NULL",
                "not_null": f"{col} IS NOT NULL",
                "is_true": f"coalesce({col}, false)",
                "is_false": f"NOT coalesce({col}, false)",
            }[op]
        if "value" not in node:
            raise self.fail(vpath, f"operator {op!r} needs a value", NEEDS_VALUE, op=op_label(op))
        value = node["value"]
        if op in ("in", "not_in"):
            if not isinstance(value, list) or not value:
                raise self.fail(
                    vpath, f"operator {op!r} needs a non-empty list", NEEDS_LIST, op=op_label(op)
                )
            items = ", ".join(
                self.literal(v, spec.type, f"{vpath}[{i}]") for i, v in enumerate(value)
            )
            neg = "NOT " if op == "not_in" else ""
            return f"{col} {neg}IN ({items})"
        if op == "between":
            if not isinstance(value, list) or len(value) != 2:
                raise self.fail(vpath, "between needs a list [low, high]", BETWEEN)
            lo = self.literal(value[0], spec.type, f"{vpath}[0]")
            hi = self.literal(value[1], spec.type, f"{vpath}[1]")
            return f"{col} BETWEEN {lo} AND {hi}"
        if op == "starts_with":
            lit = self.literal(value, "string", vpath)
            return f"starts_with({col}, {lit})"
        return f"{col} {_CMP[op]} {self.literal(value, spec.type, vpath)}"

    def literal(self, value: Any, typ: str, path: str) -> str:
        if value is None or (value == "" and typ != "string"):  # left empty in a form
            raise self.fail(path, f"needs a value, got {value!r}", VALUE_MISSING)
        shown = shown_value(value)
        if typ == "string":
            if not isinstance(value, str) or not _SAFE_TEXT.match(value) or len(value) > 200:
                raise self.fail(
                    path, "expected a text value (no control characters or '\\')", NOT_TEXT
                )
            return "'" + value.replace("'", "''") + "'"
        if typ == "integer":
            if isinstance(value, bool) or not isinstance(value, int):
                raise self.fail(
                    path, f"expected a whole number, got {value!r}", NOT_INTEGER, value=shown
                )
            return str(value)
        if typ == "number":
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise self.fail(path, f"expected a number, got {value!r}", NOT_NUMBER, value=shown)
            return repr(float(value))
        if typ == "date":
            try:
                return f"DATE '{date.fromisoformat(str(value)).isoformat()}'"
            except ValueError:
                raise self.fail(
                    path,
                    f"expected an ISO date (YYYY-MM-DD), got {value!r}",
                    NOT_DATE,
                    value=shown,
                ) from None
        raise self.fail(path, f"values of type {typ} are not comparable", NOT_COMPARABLE)

    # -- event conditions ----------------------------------------------------------------
    def _int(self, spec: dict[str, Any], key: str, path: str, default: int | None) -> int:
        v = spec.get(key, default)
        if isinstance(v, bool) or not isinstance(v, int) or v < 1 or v > 3650:
            raise self.fail(
                f"{path}.{key}", "expected a whole number between 1 and 3650", OUT_OF_RANGE
            )
        return v

    def purchase(self, spec: Any, path: str) -> str:
        if not isinstance(spec, dict):
            raise self.fail(path, "purchase needs an object", NEEDS_OBJECT)
        allowed = ["category", "sku", "brand", "min_times", "days"]
        extra = sorted(set(spec) - set(allowed))
        if extra:
            raise self.fail(
                path,
                f"unknown key(s) {extra}; use category, sku, brand, min_times, days",
                EXTRA_KEYS,
                keys=", ".join(extra),
                allowed=", ".join(allowed),
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
            raise self.fail(path, "customer_list needs an object {label, ids}", NEEDS_OBJECT)
        extra = sorted(set(spec) - {"label", "ids"})
        if extra:
            raise self.fail(
                path,
                f"unknown key(s) {extra}; use label, ids",
                EXTRA_KEYS,
                keys=", ".join(extra),
                allowed="label, ids",
            )
        label = spec.get("label", "")
        if not isinstance(label, str) or len(label) > 200 or not _SAFE_TEXT.match(label):
            raise self.fail(f"{path}.label", "expected a short text label", BAD_LABEL)
        ids = spec.get("ids")
        if not isinstance(ids, list) or not ids:
            raise self.fail(f"{path}.ids", "needs a non-empty list of customer ids", NO_IDS)
        if len(ids) > MAX_LISTED:
            raise self.fail(
                f"{path}.ids",
                f"lists at most {MAX_LISTED} customers, got {len(ids)}",
                TOO_MANY_IDS,
                max=MAX_LISTED,
                n=len(ids),
            )
        for i, v in enumerate(ids):
            if not isinstance(v, str) or not _CUSTOMER_ID.match(v):
                raise self.fail(
                    f"{path}.ids[{i}]", f"not a customer id: {v!r}", NOT_AN_ID, value=shown_value(v)
                )
        items = ", ".join(f"'{v}'" for v in dict.fromkeys(ids))
        return f"t.customer_id IN ({items})"

    def event(self, spec: Any, path: str, *, negate: bool) -> str:
        if not isinstance(spec, dict):
            raise self.fail(path, "needs an object", NEEDS_OBJECT)
        allowed = {"type", "days"} | (set() if negate else {"min_times"})
        extra = sorted(set(spec) - allowed)
        if extra:
            raise self.fail(
                path,
                f"unknown key(s) {extra}; use {sorted(allowed)}",
                EXTRA_KEYS,
                keys=", ".join(extra),
                allowed=", ".join(sorted(allowed)),
            )
        etype = spec.get("type")
        if not isinstance(etype, str) or not _IDENT.match(etype):
            raise self.fail(
                f"{path}.type", "expected an event type such as store_visit", NOT_EVENT_TYPE
            )
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
            zh, en = SCORE_LABELS.get(col, (None, None))
            fields[f"score.{col}"] = FieldSpec(f"s.{col}", typ, zh, en)
    c = _Compiler(fields)
    where = c.node(rule, "")
    return CompiledRule(
        where=where,
        uses_scores=c.uses_scores,
        conditions=c.conditions,
        tables=tuple(sorted(c.tables)),
    )
