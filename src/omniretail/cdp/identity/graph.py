"""The deterministic identity graph (确定性身份图谱): strong identifiers → edges, with guard-rails.

Work tables (dropped at the end of the step, prefix ``_idr_``):
- ``_idr_records``: one row per source record with an integer ``node`` and normalised weak
  evidence (``name_norm``, ``phone_masked``, ``address_norm``...).
- ``_idr_values``: one row per (node, identifier kind, value); source-scoped kinds (openid,
  platform buyer id) are prefixed with their source.
- ``identity_shared_values`` (kept, for review): identifier values not used for linking
  because they are blocked or shared (too many records, too many different names).
- ``_idr_strong_edges``: record → anchor (smallest node with the same value) per usable value.
"""

from __future__ import annotations

from omniretail.cdp.identity.config import IdentityConfig
from omniretail.platform.engine.base import AnalyticsEngine
from omniretail.platform.engine.dialect import string

SOURCE_TABLE = "std_identity_records"

RECORD_COLUMNS = (
    "record_key",
    "source",
    "source_record_id",
    "member_id",
    "phone",
    "phone_masked",
    "email",
    "unionid",
    "openid",
    "platform_buyer_id",
    "wecom_external_userid",
    "name",
    "gender",
    "birthday",
    "province",
    "city",
    "address",
    "registered_at",
    "observed_at",
)


def available_columns(engine: AnalyticsEngine, table: str = SOURCE_TABLE) -> set[str]:
    return set(engine.fetch_arrow(f"SELECT * FROM {table} LIMIT 0").column_names)


def prepare_records(engine: AnalyticsEngine, columns: set[str]) -> int:
    """``_idr_records``: the source records numbered and normalised for matching."""

    def col(name: str, cast: str = "VARCHAR") -> str:
        return name if name in columns else f"CAST(NULL AS {cast})"

    text_ids = ("member_id", "unionid", "openid", "platform_buyer_id", "wecom_external_userid")
    ids = ",\n".join(f"nullif(trim(CAST({col(c)} AS VARCHAR)), '') AS {c}" for c in text_ids)
    phone = col("phone")
    masked_from_phone = (
        f"CASE WHEN {phone} LIKE '+86%' AND length({phone}) = 14"
        f" THEN substr({phone}, 4, 3) || '****' || substr({phone}, 11, 4) END"
    )
    engine.materialize(
        "_idr_records",
        f"""
        SELECT row_number() OVER (ORDER BY record_key) AS node,
               record_key, source,
               {ids},
               nullif(trim({phone}), '') AS phone,
               nullif(lower(trim({col("email")})), '') AS email,
               nullif(lower(regexp_replace({col("name")}, '[\\s\u3000·.]', '', 'g')), '')
                   AS name_norm,
               CAST({col("birthday", "DATE")} AS VARCHAR) AS birthday,
               nullif(trim({col("city")}), '') AS city,
               nullif(trim({col("province")}), '') AS province,
               coalesce(nullif(trim({col("phone_masked")}), ''), {masked_from_phone})
                   AS phone_masked,
               nullif(lower(regexp_replace({col("address")}, '[\\s\u3000]', '', 'g')), '')
                   AS address_norm,
               {col("gender")} AS gender,
               coalesce(CAST({col("registered_at", "TIMESTAMP")} AS TIMESTAMP),
                        CAST({col("observed_at", "TIMESTAMP")} AS TIMESTAMP)) AS seen_at
        FROM {SOURCE_TABLE}
        WHERE record_key IS NOT NULL
        """,
        scratch=True,
    )
    return int(engine.scalar("SELECT count(*) FROM _idr_records"))


def _rules_values(cfg: IdentityConfig, kinds: list[str]) -> str:
    rows = [
        f"({string(k)}, {float(r.weight)}, {int(r.max_records)}, {int(r.max_names)},"
        f" {int(r.max_records_per_source)}, {int(r.max_names_per_source)})"
        for k, r in cfg.identifiers.items()
        if k in kinds
    ]
    return (
        "SELECT * FROM (VALUES "
        + ", ".join(rows)
        + ") AS t(kind, weight, max_records, max_names, max_source_records, max_source_names)"
    )


def _source_limits(cfg: IdentityConfig, kinds: list[str]) -> str:
    rows = [
        f"({string(k)}, {string(src)}, {int(n)})"
        for k, r in cfg.identifiers.items()
        if k in kinds
        for src, n in r.max_records_in_source.items()
    ]
    if not rows:
        return (
            "SELECT CAST(NULL AS VARCHAR) AS kind, CAST(NULL AS VARCHAR) AS source,"
            " CAST(NULL AS BIGINT) AS max_records WHERE FALSE"
        )
    return "SELECT * FROM (VALUES " + ", ".join(rows) + ") AS t(kind, source, max_records)"


def _blocked_condition(cfg: IdentityConfig, kind: str) -> str:
    parts: list[str] = []
    values = cfg.blocked_values.get(kind, [])
    if values:
        parts.append("value IN (" + ", ".join(string(v) for v in values) + ")")
    for pattern in cfg.blocked_patterns.get(kind, []):
        parts.append(f"lower(value) LIKE {string(pattern.lower())}")
    return " OR ".join(parts) if parts else "FALSE"


def build_values(engine: AnalyticsEngine, cfg: IdentityConfig) -> list[str]:
    """``_idr_values`` and ``identity_shared_values``; returns the identifier kinds in use."""
    kinds = [k for k in cfg.identifiers if k in _ID_COLUMNS]
    selects = []
    for kind in kinds:
        rule = cfg.identifiers[kind]
        value = f"source || ':' || {kind}" if rule.scope == "source" else kind
        selects.append(
            f"SELECT node, source, {string(kind)} AS kind, {value} AS value"
            f" FROM _idr_records WHERE {kind} IS NOT NULL"
        )
    engine.materialize("_idr_values_all", " UNION ALL ".join(selects), scratch=True)
    blocked = " OR ".join(f"(kind = {string(k)} AND ({_blocked_condition(cfg, k)}))" for k in kinds)
    engine.materialize(
        "_idr_value_stats",
        f"""
        WITH per_source AS (
            SELECT v.kind, v.value, v.source, count(DISTINCT v.node) AS records,
                   count(DISTINCT r.name_norm) AS names
            FROM _idr_values_all v JOIN _idr_records r USING (node)
            GROUP BY v.kind, v.value, v.source
        ),
        per_source_limits AS (
            SELECT p.*, p.records > coalesce(o.max_records, r.max_source_records) AS over
            FROM per_source p JOIN ({_rules_values(cfg, kinds)}) r USING (kind)
            LEFT JOIN ({_source_limits(cfg, kinds)}) o USING (kind, source)
        ),
        linked AS (
            SELECT kind, value FROM _idr_values_all GROUP BY kind, value
            HAVING count(DISTINCT node) > 1
        ),
        linked_names AS (  -- a join, not a correlated subquery: Spark cannot aggregate one
            SELECT v.kind, v.value, count(DISTINCT r.name_norm) AS names
            FROM linked l JOIN _idr_values_all v USING (kind, value)
            JOIN _idr_records r USING (node)
            GROUP BY v.kind, v.value
        )
        SELECT p.kind, p.value, CAST(sum(p.records) AS BIGINT) AS records,
               max(n.names) AS names,
               max(p.records) AS source_records, max(p.names) AS source_names,
               bool_or(p.over) AS over_source
        FROM per_source_limits p JOIN linked_names n USING (kind, value)
        GROUP BY p.kind, p.value
        """,
        scratch=True,
    )
    engine.materialize(
        "identity_shared_values",
        f"""
        SELECT s.kind, s.value, s.records, s.names, s.source_records, s.source_names,
               CASE WHEN ({blocked}) THEN 'blocked'
                    WHEN s.records > r.max_records THEN 'too_many_records'
                    WHEN s.over_source THEN 'too_many_records_in_one_source'
                    WHEN s.source_names > r.max_source_names
                        THEN 'too_many_names_in_one_source'
                    ELSE 'too_many_names' END AS reason
        FROM _idr_value_stats s JOIN ({_rules_values(cfg, kinds)}) r USING (kind)
        WHERE ({blocked}) OR s.records > r.max_records OR s.names > r.max_names
           OR s.over_source OR s.source_names > r.max_source_names
        """,
    )
    # blocked values that occur only once are still never linkable: drop them too
    engine.materialize(
        "_idr_values",
        f"""
        SELECT v.* FROM _idr_values_all v
        WHERE NOT ({blocked})
          AND NOT EXISTS (SELECT 1 FROM identity_shared_values s
                          WHERE s.kind = v.kind AND s.value = v.value)
        """,
        scratch=True,
    )
    engine.drop("_idr_values_all")
    engine.drop("_idr_value_stats")
    return kinds


_ID_COLUMNS = (
    "member_id",
    "phone",
    "email",
    "unionid",
    "openid",
    "platform_buyer_id",
    "wecom_external_userid",
)


def build_strong_edges(engine: AnalyticsEngine, cfg: IdentityConfig, kinds: list[str]) -> int:
    """``_idr_strong_edges(left_node, right_node, rule, evidence, weight)``: each record with a
    usable identifier value links to the value's anchor (the record with the smallest node)."""
    engine.materialize(
        "_idr_strong_edges",
        f"""
        WITH anchors AS (
            SELECT kind, value, min(node) AS anchor, count(*) AS n
            FROM _idr_values GROUP BY kind, value HAVING count(*) > 1
        )
        SELECT a.anchor AS left_node, v.node AS right_node,
               'deterministic:' || v.kind AS rule,
               json_object('kind', v.kind, 'value', v.value, 'records', a.n) AS evidence,
               r.weight AS weight
        FROM _idr_values v
        JOIN anchors a ON a.kind = v.kind AND a.value = v.value
        JOIN ({_rules_values(cfg, kinds)}) r ON r.kind = v.kind
        WHERE v.node <> a.anchor
        """,
        scratch=True,
    )
    return int(engine.scalar("SELECT count(*) FROM _idr_strong_edges"))


def build_source_links(engine: AnalyticsEngine, cfg: IdentityConfig) -> int:
    """``_idr_link_edges``: links a source asserts between records (``std_identity_links``:
    an app device to the member who logged in on it, ...), weighted per ``link_type``."""
    if not engine.table_exists("std_identity_links"):
        engine.materialize(
            "_idr_link_edges",
            "SELECT CAST(NULL AS BIGINT) AS left_node, CAST(NULL AS BIGINT) AS right_node,"
            " CAST(NULL AS VARCHAR) AS rule, CAST(NULL AS JSON) AS evidence,"
            " CAST(NULL AS DOUBLE) AS weight WHERE FALSE",
            scratch=True,
        )
        return 0
    overrides = " ".join(
        f"WHEN {string(t)} THEN {float(w)}" for t, w in cfg.link_type_weights.items()
    )
    weight = (
        f"CASE l.link_type {overrides} ELSE {float(cfg.link_weight)} END"
        if overrides
        else str(float(cfg.link_weight))
    )
    engine.materialize(
        "_idr_link_edges",
        f"""
        SELECT a.node AS left_node, b.node AS right_node,
               'link:' || coalesce(l.link_type, 'source') AS rule,
               json_object('link_type', l.link_type, 'source', l.source) AS evidence,
               {weight} AS weight
        FROM std_identity_links l
        JOIN _idr_records a ON a.record_key = l.left_key
        JOIN _idr_records b ON b.record_key = l.right_key
        WHERE a.node <> b.node AND {weight} > 0
        """,
        scratch=True,
    )
    return int(engine.scalar("SELECT count(*) FROM _idr_link_edges"))
