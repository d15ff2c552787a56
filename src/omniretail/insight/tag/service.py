"""Tag catalogue services: listing with coverage, export, one customer's tags, dormant lists,
and the generated catalogue page (docs/tags.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from omniretail.insight.tag.catalogue import FAMILY_NAMES, REFRESH_NAMES, all_tags, get_tag
from omniretail.platform.auth.scope import StoreScope
from omniretail.platform.engine.base import AnalyticsEngine
from omniretail.platform.engine.snapshot import require_tables
from omniretail.platform.errors import InvalidInput, NotFound


def coverage(engine: AnalyticsEngine | None) -> dict[str, float | None]:
    if engine is None or not engine.table_exists("tag_coverage"):
        return {}
    return {r["tag_id"]: r["coverage"] for r in engine.fetch_rows("SELECT * FROM tag_coverage")}


def catalogue(engine: AnalyticsEngine | None = None) -> list[dict[str, Any]]:
    """Every tag with its definition and, when computed, its coverage."""
    cov = coverage(engine)
    out = []
    for t in all_tags():
        d = t.to_dict()
        d.pop("sql")
        d["coverage"] = cov.get(t.id)
        out.append(d)
    return out


def export_tags(engine: AnalyticsEngine, path: Path, *, tags: list[str] | None = None) -> int:
    """Write customer × tag values to one Parquet file; returns the number of customers."""
    require_tables(engine, "customer_tags")
    cols = ["customer_id"]
    for tag_id in tags or [t.id for t in all_tags()]:
        if get_tag(tag_id) is None:
            raise InvalidInput(f"unknown tag {tag_id!r}", field="tags")
        cols.append(tag_id)
    engine.write_parquet(f"SELECT {', '.join(cols)} FROM customer_tags ORDER BY customer_id", path)
    return int(engine.scalar("SELECT count(*) FROM customer_tags") or 0)


def customer_tags(engine: AnalyticsEngine, customer_id: str) -> dict[str, Any]:
    """One customer's tags grouped by family (Customer 360)."""
    require_tables(engine, "customer_tags")
    rows = engine.fetch_rows("SELECT * FROM customer_tags WHERE customer_id = ?", [customer_id])
    if not rows:
        raise NotFound(f"no tags for customer {customer_id!r}", field="customer_id")
    row = rows[0]
    families: dict[str, list[dict[str, Any]]] = {f: [] for f in FAMILY_NAMES}
    for t in all_tags():
        families[t.family].append({"id": t.id, "zh": t.zh, "en": t.en, "value": row.get(t.id)})
    return {"customer_id": customer_id, "families": families}


def dormant_members(
    engine: AnalyticsEngine,
    *,
    store_codes: list[str] | None = None,
    limit: int = 1000,
) -> list[dict[str, Any]]:
    """Dormant members for reactivation (沉睡会员唤醒), most valuable first."""
    require_tables(engine, "customer_tags")
    scope = ""
    visible = StoreScope.of_codes(store_codes)
    if not visible.all_stores:  # the segments' rule: preferred or home store
        scope = f" AND ({visible.sql('preferred_store')} OR {visible.sql('home_store')})"
    return engine.fetch_rows(
        "SELECT customer_id, rfm_group, sales_total, orders_total, days_since_last_order, "
        "overdue_ratio, top_category, preferred_store, home_store, most_active_channel, "
        "consent_sms, consent_wechat FROM customer_tags WHERE lifecycle_stage = 'dormant'"
        f"{scope} ORDER BY sales_total DESC, customer_id LIMIT {int(limit)}"
    )


def catalogue_markdown() -> str:
    """docs/tags.md, generated from the catalogue (a test keeps it up to date)."""
    tags = all_tags()
    lines = [
        "# 标签目录 — Tag catalogue",
        "",
        "Generated from `omniretail.insight.tag.catalogue` by "
        "`omniretail tags docs --out docs/tags.md`; do not edit by hand.",
        f"{len(tags)} tags in five families (seed 001 §3.3). Coverage (share of customers with a "
        "value) is computed by every pipeline run: `omniretail tags list --json`.",
        "",
        "Refresh policies:",
        "",
    ]
    lines += [f"- `{k}`: {v}" for k, v in REFRESH_NAMES.items()]
    for fam, (zh, en) in FAMILY_NAMES.items():
        fam_tags = [t for t in tags if t.family == fam]
        lines += [
            "",
            f"## {zh} — {en} ({len(fam_tags)})",
            "",
            "| id | 名称 | Name | type | refresh | definition |",
            "|---|---|---|---|---|---|",
        ]
        for t in fam_tags:
            definition = t.definition.replace("|", "\\|")
            if t.values:
                definition += " Values: " + ", ".join(f"`{v}`" for v in t.values) + "."
            lines.append(f"| `{t.id}` | {t.zh} | {t.en} | {t.type} | {t.refresh} | {definition} |")
    return "\n".join(lines) + "\n"
