"""Union every source's records into the contract's std_/dim_ tables and apply the rules that
need all records at once (shared store phones, province filled from city)."""

from __future__ import annotations

from omniretail.cdp.ingest.contract import ENTITY_TABLES, MASTER_KINDS, EntityTable
from omniretail.cdp.quality.junk import JunkConfig
from omniretail.cdp.quality.standardize import SourceResult
from omniretail.platform.engine.base import AnalyticsEngine
from omniretail.platform.engine.dialect import ident as q

# the tables apply_global_rules rewrites: build_tables makes them scratch tables under
# ``pre(name)``, so that each is written once, with the rules applied
REWRITTEN = ("std_identity_records", "std_orders", "dim_product")


def pre(table: str) -> str:
    return f"__q_pre_{table}"


def _typed_select(table: EntityTable, name: str, have: set[str], part: int) -> str:
    cols = [
        (f"TRY_CAST({q(c)} AS {t})" if c in have else f"CAST(NULL AS {t})") + f" AS {q(c)}"
        for c, t in table.columns.items()
    ]
    if "source" not in table.columns:
        cols.append("source")
    cols += ["fixes", "_batch_id", "_row", f"{part} AS __part"]
    return f"SELECT {', '.join(cols)} FROM {q(name)}"


def _empty(table: EntityTable) -> str:
    cols = [f"CAST(NULL AS {t}) AS {q(c)}" for c, t in table.columns.items()]
    if "source" not in table.columns:
        cols.append("CAST(NULL AS VARCHAR) AS source")
    cols += [
        "CAST(NULL AS VARCHAR[]) AS fixes",
        "CAST(NULL AS VARCHAR) AS _batch_id",
        "CAST(NULL AS BIGINT) AS _row",
    ]
    return f"SELECT {', '.join(cols)} WHERE FALSE"


def build_tables(
    engine: AnalyticsEngine, results: list[SourceResult], *, append_kinds: set[str] | None = None
) -> dict[str, int]:
    """Every std_/dim_ table from the sources' records; the tables of ``append_kinds`` keep
    their rows and get the (append-only) results' new records added. The tables of
    ``REWRITTEN`` are built as ``pre(name)`` for ``apply_global_rules`` to finish."""
    built: dict[str, str] = {}  # std_/dim_ table → the table built for it
    for kind, table in ENTITY_TABLES.items():
        parts: list[str] = []
        sources: list[str] = []  # the source of each part
        for r in results:
            for name in r.entity_tables.get(kind, []):
                have = set(engine.columns(name))
                parts.append(_typed_select(table, name, have, len(parts)))
                sources.append(r.source)
        if kind in (append_kinds or set()):
            if any(not r.append_only for r in results if r.entity_tables.get(kind)):
                raise ValueError(f"{table.table}: appending needs append-only results")
            if parts:
                engine.append(
                    table.table,
                    " UNION ALL ".join(f"SELECT * EXCLUDE (__part) FROM ({p}) u" for p in parts),
                )
            built[table.table] = table.table
            continue
        ready = [r.ready_tables[kind] for r in results if kind in r.ready_tables]
        if len(parts) == 1 and len(ready) == 1:  # the one part is a table in this shape already
            cols = [*table.columns, *([] if "source" in table.columns else ["source"])]
            engine.adopt(
                table.table, ready[0][0], [*cols, "fixes", "_batch_id", "_row"], ready[0][1]
            )
            built[table.table] = table.table
            continue
        sql = " UNION ALL ".join(parts) if parts else _empty(table)
        if parts and table.grouped and kind in MASTER_KINDS:
            sql = _merged(table, sql, master=True)
        elif parts and table.grouped and len(parts) > 1:
            sql = _merged_by_source(table, parts, sources)
        elif parts:
            sql = f"SELECT * EXCLUDE (__part) FROM ({sql}) u"
        staged = table.table in REWRITTEN
        name = pre(table.table) if staged else table.table
        engine.materialize(name, sql, scratch=staged)
        built[table.table] = name
    rows = engine.fetch_rows(  # every count in one query: on Spark each query is a job
        " UNION ALL ".join(
            f"SELECT {i} AS i, count(*) AS n FROM {q(name)}"
            for i, name in enumerate(built.values())
        )
    )
    n = {int(r["i"]): int(r["n"]) for r in rows}
    return {table: n[i] for i, table in enumerate(built)}


def _merged_by_source(table: EntityTable, parts: list[str], sources: list[str]) -> str:
    """``_merged`` of the parts of a kind whose keys start with the source: records of two
    sources never share a key, so only the parts of a source with several of them (e.g. the POS
    member list and the POS sales) are aggregated; a source's only part is taken as it is,
    with the columns and fixes the aggregate would give its one row per key."""
    keys, others = _merge_columns(table, master=False)
    cols = ", ".join(q(c) for c in [*keys, *others])
    several = [p for p, s in zip(parts, sources, strict=True) if sources.count(s) > 1]
    out = [_merged(table, " UNION ALL ".join(several), master=False)] if several else []
    out += [
        f"SELECT {cols}, list_distinct(flatten([fixes])) AS fixes, _batch_id, _row FROM ({p}) u"
        for p, s in zip(parts, sources, strict=True)
        if sources.count(s) == 1
    ]
    return " UNION ALL ".join(out)


def _merge_columns(table: EntityTable, *, master: bool) -> tuple[list[str], list[str]]:
    """The merged records' keys and other columns, in their order."""
    keys = list(table.keys) if master else ["source", *[k for k in table.keys if k != "source"]]
    cols = [*table.columns, *([] if "source" in table.columns else ["source"])]
    return keys, [c for c in cols if c not in keys]


def _merged(table: EntityTable, sql: str, *, master: bool) -> str:
    """One record per key when several exports yield it (e.g. a POS member seen in the member
    list and in the sales): the latest part's non-null value wins per column."""
    keys, others = _merge_columns(table, master=master)
    aggs = []
    for c in others:
        if c == "observed_at":
            aggs.append(f"max({q(c)}) AS {q(c)}")
        else:
            aggs.append(f"arg_max({q(c)}, __part) FILTER (WHERE {q(c)} IS NOT NULL) AS {q(c)}")
    key_sql = ", ".join(q(k) for k in keys)
    return (
        f"SELECT {key_sql}, {', '.join(aggs)}, list_distinct(flatten(list(fixes))) AS fixes, "
        f"min(_batch_id) AS _batch_id, min(_row) AS _row FROM ({sql}) u GROUP BY {key_sql}"
    )


def apply_global_rules(engine: AnalyticsEngine, junk: JunkConfig) -> dict[str, dict[str, int]]:
    """Rules over all identity records, orders and products (read from the ``pre`` tables
    ``build_tables`` made, written to the std_/dim_ tables); returns per source the extra fix
    counts."""
    n = int(junk.shared_phone_max_members)
    records = q(pre("std_identity_records"))
    engine.materialize(
        "quality_shared_phones",
        "SELECT source, home_store_code, phone, count(DISTINCT record_key) AS members "
        f"FROM {records} WHERE phone IS NOT NULL AND home_store_code IS NOT NULL "
        "AND member_id IS NOT NULL "  # member cards only (not gift cards, not platform buyers)
        f"GROUP BY source, home_store_code, phone HAVING count(DISTINCT record_key) > {n}",
    )
    engine.materialize(
        "quality_city_province",
        "SELECT city, min(province) AS province FROM ("
        f" SELECT city, province FROM {records}"
        " WHERE city IS NOT NULL AND province IS NOT NULL"
        " UNION ALL SELECT city, province FROM dim_store"
        " WHERE city IS NOT NULL AND province IS NOT NULL) c "
        "GROUP BY city HAVING count(DISTINCT province) = 1",
    )
    engine.materialize(
        "std_identity_records",
        "SELECT i.* REPLACE ("
        " CASE WHEN s.phone IS NOT NULL THEN NULL ELSE i.phone END AS phone,"
        " CASE WHEN s.phone IS NOT NULL THEN NULL ELSE i.phone_masked END AS phone_masked,"
        " coalesce(i.province, cp.province) AS province,"
        " list_concat(coalesce(i.fixes, []),"
        "   CASE WHEN s.phone IS NOT NULL THEN ['phone_shared_store'] ELSE [] END,"
        "   CASE WHEN i.province IS NULL AND cp.province IS NOT NULL THEN ['filled:province']"
        "   ELSE [] END) AS fixes)"
        f" FROM {records} i"
        " LEFT JOIN quality_shared_phones s ON s.source = i.source"
        "  AND s.home_store_code = i.home_store_code AND s.phone = i.phone"
        " LEFT JOIN quality_city_province cp ON i.province IS NULL AND cp.city = i.city",
    )
    # delivery platforms name the shop by their own id ("meituan:<poi id>", "eleme:<shop id>");
    # an order whose channel has no master row is a finding (unknown_channel), never "offline"
    engine.materialize(
        "std_orders",
        "SELECT o.* REPLACE (coalesce(m.store_code, e.store_code, o.store_code) AS store_code,"
        " CASE WHEN c.channel_code IS NULL"
        "  THEN list_append(coalesce(o.fixes, []), 'unknown_channel')"
        "  ELSE o.fixes END AS fixes) "
        f"FROM {q(pre('std_orders'))} o "
        "LEFT JOIN dim_store m ON o.store_code = 'meituan:' || m.meituan_poi_id "
        "LEFT JOIN dim_store e ON o.store_code = 'eleme:' || e.eleme_shop_id "
        "LEFT JOIN dim_channel c ON c.channel_code = o.channel_code",
    )
    enrich_products(engine, source=pre("dim_product"))
    out: dict[str, dict[str, int]] = {}
    rows = engine.fetch_rows(  # one query: on Spark each is a job
        "SELECT 'records' AS t, source,"
        " count(*) FILTER (WHERE list_contains(fixes, 'phone_shared_store')) AS shared,"
        " count(*) FILTER (WHERE list_contains(fixes, 'filled:province')) AS filled "
        "FROM std_identity_records GROUP BY source "
        "UNION ALL SELECT 'orders', source, count(*), NULL FROM std_orders "
        "WHERE list_contains(fixes, 'unknown_channel') GROUP BY source"
    )
    for row in sorted(rows, key=lambda r: r["t"] != "records"):
        if row["t"] != "records":
            out.setdefault(str(row["source"]), {})["unknown_channel"] = int(row["shared"])
            continue
        extra: dict[str, int] = {}
        if row["shared"]:
            extra["phone_shared_store"] = int(row["shared"])
        if row["filled"]:
            extra["filled:province"] = int(row["filled"])
        out[str(row["source"])] = extra
    return out


def enrich_products(engine: AnalyticsEngine, *, source: str = "dim_product") -> None:
    """``dim_product``'s category columns from the category master where the product export
    leaves them empty (an ERP's product list usually carries only the category code):
    ``category_name`` ← ``dim_category.name``, ``parent_category_code`` ← its ``parent_code``,
    ``replenish_days`` ← the category's, else its parent's. Values the product export gives
    win; a filled row gets the fix ``filled:category``. Every reader of ``dim_product``
    (replenishment timing, lifecycle windows, tags, recommendations) then sees them.
    ``source``: the table the products are read from (``build_tables``' scratch copy)."""
    filled = (
        "(p.category_name IS NULL AND c.name IS NOT NULL)"
        " OR (p.parent_category_code IS NULL AND c.parent_code IS NOT NULL)"
        " OR (p.replenish_days IS NULL"
        "     AND coalesce(c.replenish_days, pc.replenish_days) IS NOT NULL)"
    )
    engine.materialize(
        "dim_product",
        "SELECT p.* REPLACE ("
        " coalesce(p.category_name, c.name) AS category_name,"
        " coalesce(p.parent_category_code, c.parent_code) AS parent_category_code,"
        " coalesce(p.replenish_days, c.replenish_days, pc.replenish_days) AS replenish_days,"
        f" CASE WHEN {filled} THEN list_append(coalesce(p.fixes, []), 'filled:category')"
        "  ELSE p.fixes END AS fixes) "
        f"FROM {q(source)} p "
        "LEFT JOIN dim_category c ON c.category_code = p.category_code "
        "LEFT JOIN dim_category pc ON pc.category_code = c.parent_code",
    )


def drop_work_tables(engine: AnalyticsEngine) -> None:
    for name in engine.list_tables("__q_"):
        engine.drop(name)
