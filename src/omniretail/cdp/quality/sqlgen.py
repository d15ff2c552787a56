"""SQL fragments (canonical DuckDB dialect) that turn a mapping's field specs into values."""

from __future__ import annotations

from collections.abc import Sequence

from omniretail.cdp.ingest.expressions import to_sql
from omniretail.cdp.ingest.mapping import PYTHON_TRANSFORMS, EntitySpec, FieldSpec
from omniretail.platform.engine.dialect import ident as q
from omniretail.platform.engine.dialect import literal as lit

TRUE_WORDS = ("1", "true", "t", "yes", "y", "是", "同意", "opt_in", "optin", "subscribed", "on")
FALSE_WORDS = (
    "0",
    "false",
    "f",
    "no",
    "n",
    "否",
    "拒绝",
    "opt_out",
    "optout",
    "unsubscribed",
    "off",
)
GENDER_MAP = {
    "f": "F", "female": "F", "女": "F", "w": "F", "woman": "F", "2": "F",
    "m": "M", "male": "M", "男": "M", "man": "M", "1": "M",
}  # fmt: skip
EMAIL_PATTERN = r"^[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}$"

# identity fields cleaned by a standard rule in Python (phonenumbers, OpenCC, NFKC)
PY_STANDARD = {"phone", "phone_masked", "name", "province", "city", "address"}
# keys every entity of a kind needs (missing → the row is quarantined)
REQUIRED: dict[str, tuple[str, ...]] = {
    "order": ("order_id", "ordered_at"),
    "order_line": ("order_id",),
    "event": ("event_id", "event_type", "occurred_at"),
    "review": ("review_id",),
    "identity_link": ("left_key", "right_key"),
    "store": ("store_code",),
    "channel": ("channel_code",),
    "product": ("sku",),
    "category": ("category_code",),
    "staff": ("staff_code",),
}


def col(ref: str, field: str, suffix: str = "") -> str:
    return f"{ref}__{field}{suffix}"


def needs_python(entity: EntitySpec, field: str, spec: FieldSpec) -> bool:
    if PYTHON_TRANSFORMS & set(spec.transforms):
        return True
    return entity.kind == "identity" and field in PY_STANDARD and spec.entity is None


def base_sql(spec: FieldSpec) -> str:
    if spec.column is not None:
        return q(spec.column)
    if spec.expr is not None:
        return to_sql(spec.expr)
    if spec.entity is not None:
        return "NULL"
    return lit(spec.value)


def sql_transforms(expr: str, transforms: Sequence[str]) -> str:
    out = f"CAST({expr} AS VARCHAR)"
    for t in transforms:
        if t in ("strip", "empty_to_null"):
            out = f"trim({out})"
        elif t == "collapse_spaces":
            out = f"trim(regexp_replace({out}, '\\s+', ' ', 'g'))"
        elif t == "upper":
            out = f"upper({out})"
        elif t == "lower":
            out = f"lower({out})"
        elif t == "digits":
            out = f"regexp_replace({out}, '[^0-9]', '', 'g')"
    return f"nullif({out}, '')"


def input_sql(entity: EntitySpec, field: str, spec: FieldSpec) -> str:
    """Stage-1 value: the raw value with SQL transforms (Python ones run later, per value)."""
    base = base_sql(spec)
    if needs_python(entity, field, spec):
        return f"nullif(trim(CAST({base} AS VARCHAR)), '')"
    if spec.transforms:
        return sql_transforms(base, spec.transforms)
    return base


def mapped_sql(expr: str, spec: FieldSpec, entity_kind: str, field: str) -> str:
    table = spec.map
    if table is None and entity_kind == "identity" and field == "gender":
        table = GENDER_MAP
    if not table:
        return expr
    key = (
        f"lower(trim(CAST({expr} AS VARCHAR)))"
        if table is GENDER_MAP
        else f"CAST({expr} AS VARCHAR)"
    )
    whens = " ".join(
        f"WHEN {lit(str(k).lower() if table is GENDER_MAP else str(k))} THEN {lit(v)}"
        for k, v in table.items()
    )
    return f"(CASE {key} {whens} ELSE NULL END)"


def convert_sql(expr: str, spec: FieldSpec, in_type: str) -> str:
    """Convert to the field's type; a value that does not convert becomes NULL (flagged)."""
    t = spec.type
    is_text = in_type.upper().startswith("VARCHAR") or in_type == "NULL"
    text = f"CAST({expr} AS VARCHAR)"
    if t == "string":
        return f"nullif(trim({text}), '')"
    if t == "int":
        return (
            f"coalesce(TRY_CAST({expr} AS BIGINT), TRY_CAST(TRY_CAST({expr} AS DOUBLE) AS BIGINT))"
        )
    if t == "decimal":
        return f"TRY_CAST({expr} AS DECIMAL(18,4))"
    if t == "float":
        return f"TRY_CAST({expr} AS DOUBLE)"
    if t == "bool":
        if not is_text and in_type.upper() == "BOOLEAN":
            return expr
        yes = ", ".join(lit(w) for w in TRUE_WORDS)
        no = ", ".join(lit(w) for w in FALSE_WORDS)
        return (
            f"(CASE WHEN lower(trim({text})) IN ({yes}) THEN TRUE "
            f"WHEN lower(trim({text})) IN ({no}) THEN FALSE END)"
        )
    if t in ("date", "timestamp"):
        if spec.formats and is_text:
            fmts = "[" + ", ".join(lit(f) for f in spec.formats) + "]"
            parsed = f"try_strptime(trim({text}), {fmts})"
        elif is_text:
            parsed = f"TRY_CAST(trim({text}) AS TIMESTAMP)"
        else:
            parsed = f"TRY_CAST({expr} AS TIMESTAMP)"
        if t == "date":
            if is_text and not spec.formats:
                return f"coalesce(TRY_CAST(trim({text}) AS DATE), CAST({parsed} AS DATE))"
            return f"CAST({parsed} AS DATE)"
        return parsed
    if t == "json":
        if is_text:
            return f"TRY_CAST({expr} AS JSON)"
        if in_type.upper() == "JSON":
            return expr
        return f"to_json({expr})"
    raise AssertionError(t)  # pragma: no cover - FieldType is closed
