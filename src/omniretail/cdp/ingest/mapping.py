"""The declarative mapping format: how a channel's export becomes canonical records.

A mapping is a YAML file (see docs/ingest.md). It names the file format and its options,
optional row rules (``quarantine``: reject with a reason; ``classify``: label rows), and the
canonical entities each row yields (an identity record, an order, an order line, an event ...),
each field taken from a column, a constant or a small SQL expression that is checked to be
safe (no queries, only whitelisted functions; see :mod:`omniretail.cdp.ingest.expressions`).
Validation errors name the offending key, e.g. ``entities[1].fields.ordered_at.type``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from omniretail.cdp.ingest.errors import MappingError, UnsafeExpression
from omniretail.cdp.ingest.expressions import check_expression as _check


def check_expression(text: str) -> None:
    """Validate a mapping expression; raises ValueError so pydantic names the key."""
    try:
        _check(text)
    except UnsafeExpression as exc:
        raise ValueError(exc.detail) from exc


FileFormat = Literal["csv", "xlsx", "parquet", "jsonl", "json"]
FieldType = Literal["string", "int", "decimal", "float", "bool", "date", "timestamp", "json"]
Transform = Literal[
    "strip",
    "collapse_spaces",
    "upper",
    "lower",
    "fullwidth",  # full-width → half-width (Unicode NFKC)
    "t2s",  # traditional → simplified Chinese (OpenCC)
    "digits",  # keep digits only
    "phone",  # E.164 via phonenumbers (masked numbers go to phone_masked)
    "empty_to_null",
]
Aggregate = Literal["first", "last", "sum", "min", "max", "count"]
EntityKind = Literal[
    "identity",
    "identity_link",
    "order",
    "order_line",
    "event",
    "review",
    "store",
    "channel",
    "product",
    "category",
    "staff",
    "traffic_count",
    "traffic_door",
    "loyalty_balance",
]

PYTHON_TRANSFORMS = frozenset({"fullwidth", "t2s", "phone"})


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FileOptions(_Strict):
    delimiter: str = ","
    encoding: str = "utf-8"  # utf-8, utf-8-sig (BOM), gbk, gb18030, big5, latin-1 ...
    header: bool = True
    skip_rows: int = 0
    sheets: list[str] | Literal["all"] = "all"  # xlsx
    quote: str = '"'
    null_values: list[str] = Field(default_factory=lambda: [""])

    @field_validator("delimiter")
    @classmethod
    def _one_char(cls, v: str) -> str:
        if v == "\\t":
            return "\t"
        if len(v) != 1:
            raise ValueError("a delimiter is one character (use '\\t' for tab)")
        return v


class FieldSpec(_Strict):
    """One canonical field: exactly one of ``column``, ``expr``, ``value`` or ``entity``."""

    column: str | None = None
    expr: str | None = None
    value: Any = None
    entity: str | None = None  # record_key of another entity of the same row (e.g. "identity")
    type: FieldType = "string"
    formats: list[str] = Field(default_factory=list)  # strptime formats for date/timestamp
    transforms: list[Transform] = Field(default_factory=list)
    map: dict[str, Any] | None = None  # value mapping after transforms, e.g. {女: F, 男: M}
    default: Any = None  # documented fill when missing; flagged filled:<field>
    required: bool = False  # missing/invalid → the row is quarantined
    aggregate: Aggregate | None = None  # for grouped entities (orders built from lines)

    @model_validator(mode="after")
    def _one_source(self) -> FieldSpec:
        given = [k for k in ("column", "expr", "entity") if getattr(self, k) is not None] + (
            ["value"] if self.value is not None else []
        )
        if len(given) != 1:
            raise ValueError(
                "give exactly one of column, expr, value or entity"
                + (f" (got {', '.join(given)})" if given else "")
            )
        if self.expr is not None:
            check_expression(self.expr)
        if self.formats and self.type not in ("date", "timestamp"):
            raise ValueError("formats only apply to type date or timestamp")
        return self


class RowRule(_Strict):
    reason: str
    when: str

    @field_validator("when")
    @classmethod
    def _safe(cls, v: str) -> str:
        check_expression(v)
        return v


class ClassValue(_Strict):
    value: str
    when: str

    @field_validator("when")
    @classmethod
    def _safe(cls, v: str) -> str:
        check_expression(v)
        return v


class Classifier(_Strict):
    """Labels each row (first matching ``when`` wins, else ``default``) as a new column."""

    rules: list[ClassValue]
    default: str | None = None


class EntitySpec(_Strict):
    kind: EntityKind
    name: str | None = None  # defaults to kind; referenced by FieldSpec.entity
    when: str | None = None  # only rows where this holds yield the entity
    source_record_id: FieldSpec | None = None  # identity records (record_key = source:id)
    fields: dict[str, FieldSpec]

    @field_validator("when")
    @classmethod
    def _safe(cls, v: str | None) -> str | None:
        if v is not None:
            check_expression(v)
        return v

    @property
    def ref(self) -> str:
        return self.name or self.kind

    @model_validator(mode="after")
    def _keys(self) -> EntitySpec:
        from omniretail.cdp.ingest.contract import ENTITY_TABLES

        table = ENTITY_TABLES[self.kind]
        unknown = sorted(set(self.fields) - set(table.columns) - {"record_key"})
        if unknown:
            raise ValueError(
                f"unknown field {unknown[0]!r} for a {self.kind}; the contract columns are "
                + ", ".join(table.columns)
            )
        if self.kind == "identity" and self.source_record_id is None:
            raise ValueError("an identity entity needs source_record_id")
        auto = {"record_key", "line_no"}  # line_no defaults to the position within the order
        missing = [k for k in table.keys if k not in self.fields and k not in auto]
        if self.kind not in ("identity", "identity_link") and missing:
            raise ValueError(f"an entity of kind {self.kind} needs the field {missing[0]!r}")
        return self


class Explode(_Strict):
    """One row per element of a list column (e.g. the ``items`` of a mini-program order);
    the element is available as ``item`` (or ``as``) and its 1-based position as ``_item``."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)
    column: str
    as_: str = Field(default="item", alias="as")


class Mapping(_Strict):
    source: str | None = None
    description: str = ""
    format: FileFormat
    options: FileOptions = Field(default_factory=FileOptions)
    # files of a demo world's exports/ folder this mapping reads (globs); default <name>/*
    world_files: list[str] = Field(default_factory=list)
    explode: Explode | None = None
    phone_region: str = "CN"
    deduplicate: bool = True  # drop exact duplicate raw rows (counted as duplicates)
    quarantine: list[RowRule] = Field(default_factory=list)
    classify: dict[str, Classifier] = Field(default_factory=dict)
    entities: list[EntitySpec]

    @model_validator(mode="after")
    def _refs(self) -> Mapping:
        names = [e.ref for e in self.entities]
        dup = {n for n in names if names.count(n) > 1}
        if dup:
            raise ValueError(f"two entities are named {sorted(dup)[0]!r}; give one a name")
        for i, e in enumerate(self.entities):
            for fname, spec in e.fields.items():
                if spec.entity is not None and spec.entity not in names:
                    raise ValueError(
                        f"entities[{i}].fields.{fname}.entity: no entity named {spec.entity!r}"
                    )
                if spec.entity is not None and not _is_identity(self, spec.entity):
                    raise ValueError(
                        f"entities[{i}].fields.{fname}.entity: {spec.entity!r} is not an identity"
                    )
        return self

    def entity(self, ref: str) -> EntitySpec:
        return next(e for e in self.entities if e.ref == ref)


def _is_identity(m: Mapping, ref: str) -> bool:
    return any(e.ref == ref and e.kind == "identity" for e in m.entities)


def _loc(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def parse_mapping(text: str, *, origin: str = "mapping") -> Mapping:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise MappingError(f"{origin}: not valid YAML: {exc}", field="mapping") from exc
    if not isinstance(data, dict):
        raise MappingError(f"{origin}: a mapping is a YAML object with format and entities")
    try:
        return Mapping.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        key = _loc(tuple(first["loc"])) or "mapping"
        msg = first["msg"].removeprefix("Value error, ")
        raise MappingError(f"{origin}: {key}: {msg}", field=key) from exc


def load_mapping(path: Path | str) -> tuple[Mapping, str]:
    """Read and validate a mapping file; returns the model and its text."""
    p = Path(path)
    if not p.is_file():
        raise MappingError(f"mapping file {p} not found", field="mapping")
    text = p.read_text(encoding="utf-8")
    return parse_mapping(text, origin=p.name), text


SHIPPED_DIR = Path(__file__).parent / "mappings"


def shipped_mapping(name: str) -> Path:
    """A mapping shipped with omniretail, e.g. ``uci_online_retail_ii`` or ``demo/pos``."""
    return SHIPPED_DIR / f"{name}.yaml"
