"""The tag catalogue (标签目录): every member-portrait tag, defined once.

A tag is a SQL expression (canonical DuckDB dialect) over one row of the join of
``customers c``, ``customer_features f``, ``rfm r``, ``lifecycle l``, the home store
``hs`` (``dim_store``) and the run's reference day ``a.as_of``. The ``customer_tags`` wide
table is generated from this list, so adding a tag is one entry in a family module.

Families follow seed 001 §3.3: basic information (基本信息), consumption behaviour (消费行为),
interests and preferences (兴趣偏好), lifecycle (生命周期) and social attributes (社交属性).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

Family = Literal["basic", "consumption", "interest", "lifecycle", "social"]
TagType = Literal["string", "integer", "number", "boolean", "date"]
Refresh = Literal["daily", "incremental", "profile"]

FAMILY_NAMES: dict[str, tuple[str, str]] = {
    "basic": ("基本信息", "Basic information"),
    "consumption": ("消费行为", "Consumption behaviour"),
    "interest": ("兴趣偏好", "Interests and preferences"),
    "lifecycle": ("生命周期", "Lifecycle"),
    "social": ("社交属性", "Social attributes"),
}

REFRESH_NAMES: dict[str, str] = {
    "daily": "每日全量重算 — recomputed every run (depends on the reference day's windows)",
    "incremental": "每日增量 — lifetime totals updated from new orders since the last run",
    "profile": "随档案更新 — follows the golden record (identity resolution)",
}

SQL_TYPES: dict[str, str] = {
    "string": "VARCHAR",
    "integer": "BIGINT",
    "number": "DOUBLE",
    "boolean": "BOOLEAN",
    "date": "DATE",
}


def round2(expr: str) -> str:
    """Round half up to cents identically on every engine (their round() differ at .5)."""
    return f"floor(CAST({expr} AS DOUBLE) * 100 + 0.5) / 100"


@dataclass(frozen=True)
class Tag:
    id: str
    zh: str
    en: str
    family: Family
    type: TagType
    sql: str
    definition: str
    refresh: Refresh = "daily"
    values: tuple[str, ...] = ()

    def select_sql(self) -> str:
        expr = self.sql
        if self.type == "number":
            expr = round2(expr)
        return f"CAST({expr} AS {SQL_TYPES[self.type]}) AS {self.id}"

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["values"] = list(self.values)
        d["family_zh"], d["family_en"] = FAMILY_NAMES[self.family]
        return d


def all_tags() -> list[Tag]:
    from omniretail.insight.tag import tags_behaviour, tags_profile

    tags = [*tags_profile.TAGS, *tags_behaviour.TAGS]
    seen: set[str] = set()
    for t in tags:
        if t.id in seen:
            raise ValueError(f"duplicate tag id {t.id!r} in the catalogue")
        seen.add(t.id)
    return tags


def get_tag(tag_id: str) -> Tag | None:
    return next((t for t in all_tags() if t.id == tag_id), None)


def customer_tags_sql() -> str:
    """The query building the ``customer_tags`` wide table."""
    cols = ",\n  ".join(t.select_sql() for t in all_tags())
    return f"""
SELECT c.customer_id,
  {cols}
FROM customers c
JOIN customer_features f ON f.customer_id = c.customer_id
LEFT JOIN rfm r ON r.customer_id = c.customer_id
LEFT JOIN lifecycle l ON l.customer_id = c.customer_id
LEFT JOIN dim_store hs ON hs.store_code = c.home_store_code
LEFT JOIN dim_store ps ON ps.store_code = f.preferred_store
CROSS JOIN (SELECT as_of FROM ins_as_of) a
"""


def coverage_sql() -> str:
    """One row: the customer count and, per tag, how many customers have a value."""
    counts = ", ".join(f"count({t.id}) AS {t.id}" for t in all_tags())
    return f"SELECT count(*) AS customers, {counts} FROM customer_tags"
