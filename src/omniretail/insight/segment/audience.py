"""Audience resolution (insight): who is in an audience, and each member's contact profile
(channel use, consent, addresses, stratum) from the published snapshot. Campaigns, journeys and
later clerk tasks plan on these rows.

Audiences: a saved segment (``{"segment_id": 3}``), an inline rule (``{"rule": {...}}``, the
segment builder's JSON) or a list of customers (``{"customer_ids": [...]}``). A model-based
audience (``{"likely_fans_of": "SKU", "n": 5000}``: the customers most likely to like a new
product) is turned into customer ids by the caller through the recommendation service.
Any of them may carry ``"store_codes": [...]``: only those stores' customers (preferred or home
store, the segments' store rule) — a store user's campaign reaches their stores only.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa
from sqlalchemy.orm import Session

from omniretail.insight.segment import service as segment_service
from omniretail.insight.segment.errors import AudienceInvalid
from omniretail.platform.engine.base import AnalyticsEngine
from omniretail.platform.engine.snapshot import NoPublishedSnapshot
from omniretail.platform.i18n import N_

NO_AUDIENCE = N_("Choose a saved segment or conditions for the audience")
PROFILE_COLUMNS = (
    "most_active_channel",
    "preferred_store",
    "lifecycle_stage",
    "rfm_group",
    "consent_sms",
    "consent_email",
    "consent_wechat",
    "consent_app_push",
)


def audience_rule(session: Session, audience: dict[str, Any]) -> dict[str, Any] | None:
    if "segment_id" in audience:
        return dict(segment_service.get_segment(session, int(audience["segment_id"])).rule)
    if "rule" in audience:
        return dict(audience["rule"])
    if "likely_fans_of" in audience or "customer_ids" in audience:
        return None
    raise AudienceInvalid(
        "audience needs one of segment_id, rule, likely_fans_of or customer_ids",
        field="audience",
        message=NO_AUDIENCE,
    )


def _ids_sql(engine: AnalyticsEngine, rule: dict[str, Any] | None, audience: dict[str, Any]) -> str:
    if rule is not None:
        compiled = segment_service.compile_for(engine, rule)
        return segment_service.members_sql(compiled)
    if "customer_ids" not in audience:  # a model audience is resolved to ids by its caller
        raise AudienceInvalid(
            "a model audience (likely_fans_of) must be resolved to customer_ids first",
            field="audience",
        )
    ids = [str(i) for i in audience["customer_ids"]]
    con = getattr(engine, "con", None)
    if con is None:
        raise AudienceInvalid("model audiences need the DuckDB snapshot", field="audience")
    con.register("campaign_fans", pa.table({"customer_id": pa.array(ids, pa.string())}))
    return "SELECT customer_id FROM campaign_fans"


def member_profiles(
    engine: AnalyticsEngine,
    session: Session,
    audience: dict[str, Any],
    stratify_by: str | None,
    *,
    extra_rule: dict[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """One row per audience member with what planning needs (channel, consent, addresses).

    ``extra_rule`` narrows the audience further (a journey's trigger condition)."""
    if not engine.table_exists("customer_tags"):
        raise NoPublishedSnapshot(
            "the published snapshot has no customer tags yet: run `omniretail pipeline run` first"
        )
    rule = audience_rule(session, audience)
    if rule is not None and extra_rule is not None:
        rule, extra_rule = {"all": [rule, extra_rule]}, None
    ids_sql = _ids_sql(engine, rule, audience)
    if extra_rule is not None:
        extra = segment_service.members_sql(segment_service.compile_for(engine, extra_rule))
        ids_sql = f"SELECT customer_id FROM ({ids_sql}) WHERE customer_id IN ({extra})"
    stores = audience.get("store_codes")
    if stores is not None:
        if not isinstance(stores, list) or not all(isinstance(c, str) for c in stores):
            raise AudienceInvalid("store_codes must be a list of store codes", field="audience")
        mine = segment_service.customers_of_stores_sql(stores)
        ids_sql = f"SELECT customer_id FROM ({ids_sql}) WHERE customer_id IN ({mine})"
    cols = ", ".join(f"t.{c}" for c in PROFILE_COLUMNS)
    stratum = f"CAST(t.{stratify_by} AS VARCHAR)" if stratify_by else "NULL"
    if engine.table_exists("identity_map") and engine.table_exists("std_identity_records"):
        ids_cte = """
            SELECT im.customer_id,
                   max(r.openid) AS openid,
                   max(r.wecom_external_userid) AS wecom_external_userid
            FROM identity_map im JOIN std_identity_records r USING (record_key)
            WHERE im.customer_id IN (SELECT customer_id FROM m)
            GROUP BY im.customer_id"""
    else:  # a snapshot without the identity graph: no WeChat/WeCom addresses
        ids_cte = """SELECT NULL::VARCHAR AS customer_id, NULL::VARCHAR AS openid,
                            NULL::VARCHAR AS wecom_external_userid WHERE false"""
    sql = f"""
        WITH m AS ({ids_sql}),
        ids AS ({ids_cte})
        SELECT m.customer_id, {cols}, {stratum} AS stratum,
               c.phone, c.email, ids.openid, ids.wecom_external_userid
        FROM m
        JOIN customer_tags t ON t.customer_id = m.customer_id
        LEFT JOIN customers c ON c.customer_id = m.customer_id
        LEFT JOIN ids ON ids.customer_id = m.customer_id
        ORDER BY m.customer_id
    """
    return engine.fetch_rows(sql)
