"""The golden record (黄金记录): one row per customer in ``customers`` (data contract).

Values follow the survivorship rules of ``profile/config.py``; ``golden_sources`` (JSON)
names the source each value came from; consent follows ``cdp/consent/rules.py``.

``last_seen_at`` (最近活跃) is the customer's last own act: here the registration, widened by
``unify.extend_seen`` with the latest order, event and review. A record's ``observed_at`` is
not used for it: for a member list without a time column it is the import time, so the
"last seen" of every member would be the pipeline run.
"""

from __future__ import annotations

from omniretail.cdp.consent.rules import CHANNELS, consent_aggregates, consent_events_sql
from omniretail.cdp.profile.config import ProfileConfig
from omniretail.platform.engine.base import AnalyticsEngine
from omniretail.platform.engine.dialect import string

ATTRIBUTES = (
    "name",
    "gender",
    "birthday",
    "phone",
    "email",
    "province",
    "city",
    "address",
    "home_store_code",
    "registered_at",
)
TYPES = {"birthday": "DATE", "registered_at": "TIMESTAMP"}


def _trust(cfg: ProfileConfig, attribute: str) -> str:
    ranking = cfg.ranking_for(attribute)
    if not ranking:
        return "0"
    whens = " ".join(f"WHEN {string(src)} THEN {len(ranking) - i}" for i, src in enumerate(ranking))
    return f"(CASE source {whens} ELSE 0 END)"


def _pick(cfg: ProfileConfig, attribute: str) -> tuple[str, str]:
    """(value expression, source expression) for one attribute."""
    rule = cfg.attributes[attribute].rule if attribute in cfg.attributes else "trust"
    recency = "coalesce(epoch(observed_at), 0)"
    trust = _trust(cfg, attribute)
    present = f"FILTER (WHERE {attribute} IS NOT NULL)"
    # records equal on the rule's key (two of one source seen at the same time — a member list
    # landed in one file) are told apart by their record key, the same on every engine
    if rule in ("earliest", "latest"):
        fn = "arg_min" if rule == "earliest" else "arg_max"
        agg = "min" if rule == "earliest" else "max"
        key = f"struct_pack(v := {attribute}, s := source)"
        return f"{agg}({attribute}) {present}", f"{fn}(source, {key}) {present}"
    rank = (
        f"{trust} * 100000000000 + {recency}" if rule == "trust" else f"{recency} * 100 + {trust}"
    )
    key = f"struct_pack(k := {rank}, r := record_key)"
    return f"arg_max({attribute}, {key}) {present}", f"arg_max(source, {key}) {present}"


def build_customers(engine: AnalyticsEngine, cfg: ProfileConfig) -> int:
    """``customer_records`` (records with customer ids), ``consent_events`` and ``customers``."""
    columns = set(engine.fetch_arrow("SELECT * FROM std_identity_records LIMIT 0").column_names)
    select = []
    for attr in ATTRIBUTES:
        typ = TYPES.get(attr, "VARCHAR")
        expr = f"nullif(trim(s.{attr}), '')" if typ == "VARCHAR" else f"s.{attr}"
        if attr == "email":
            expr = f"lower({expr})"
        select.append(f"{expr} AS {attr}" if attr in columns else f"CAST(NULL AS {typ}) AS {attr}")
    for ch in CHANNELS:
        col = f"consent_{ch}"
        select.append(f"s.{col}" if col in columns else f"CAST(NULL AS BOOLEAN) AS {col}")
    observed = "s.observed_at" if "observed_at" in columns else "CAST(NULL AS TIMESTAMP)"
    engine.materialize(
        "customer_records",
        f"""
        SELECT m.customer_id, s.record_key, s.source, {observed} AS observed_at,
               {", ".join(select)}
        FROM std_identity_records s JOIN identity_map m USING (record_key)
        ORDER BY m.customer_id
        """,
    )
    consent_cols = {f"consent_{ch}" for ch in CHANNELS}
    engine.materialize("consent_events", consent_events_sql("customer_records", consent_cols))
    values, sources = [], []
    for attr in ATTRIBUTES:
        value, source = _pick(cfg, attr)
        values.append(f"{value} AS {attr}")
        sources.append(f"{string(attr)}, {source}")
    engine.materialize(
        "customers",
        f"""
        SELECT customer_id,
               {", ".join(values)},
               min(coalesce(registered_at, observed_at)) AS first_seen_at,
               max(registered_at) AS last_seen_at,
               list(DISTINCT source ORDER BY source) AS sources,
               count(*) AS records,
               {consent_aggregates("r")},
               CAST(json_object({", ".join(sources)}) AS VARCHAR) AS golden_sources
        FROM customer_records r
        GROUP BY customer_id
        ORDER BY customer_id
        """,
    )
    return int(engine.scalar("SELECT count(*) FROM customers"))
