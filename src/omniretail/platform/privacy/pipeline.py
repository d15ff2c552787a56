"""Step ``privacy.suppress`` (after standardize): records whose identifiers are on the
suppression list (an erased person's, see ``models``) are dropped from the standardized
identity records and links, and orders, events and reviews that named them become anonymous.
Nothing to do — and nothing read — while the list is empty."""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from omniretail.platform.db import session_scope
from omniretail.platform.engine.dialect import string
from omniretail.platform.pipeline import PipelineContext, step
from omniretail.platform.privacy import suppression

HASHED = (
    "record_key",
    "phone",
    "email",
    "unionid",
    "openid",
    "member_id",
    "platform_buyer_id",
    "wecom_external_userid",
)
FACTS = ("std_orders", "std_events", "std_reviews")


@step("privacy.suppress", order=110, description="drop erased people's records (suppression list)")
def suppress(ctx: PipelineContext) -> dict[str, Any]:
    with session_scope() as s:
        digests = suppression.digests(s)
    key = suppression.suppression_key(ctx.settings)
    e = ctx.engine
    if not digests or key is None or not e.table_exists("std_identity_records"):
        return {"suppressed_records": 0}
    e.register_arrow(
        "__privacy_digests", pa.table({"digest": pa.array(digests, pa.string())}), scratch=True
    )
    k = string(key + "|")
    hit = " OR ".join(
        f"sha256({k} || {c}) IN (SELECT digest FROM __privacy_digests)" for c in HASHED
    )
    e.materialize(
        "__privacy_keys",
        f"SELECT DISTINCT record_key FROM std_identity_records WHERE {hit}",
        scratch=True,
    )
    n = int(e.scalar("SELECT count(*) FROM __privacy_keys") or 0)
    if not n:
        return {"suppressed_records": 0}
    gone = "(SELECT record_key FROM __privacy_keys)"
    e.materialize(
        "std_identity_records",
        f"SELECT * FROM std_identity_records WHERE record_key NOT IN {gone}",
    )
    if e.table_exists("std_identity_links"):
        e.materialize(
            "std_identity_links",
            "SELECT * FROM std_identity_links "
            f"WHERE left_key NOT IN {gone} AND right_key NOT IN {gone}",
        )
    for t in FACTS:
        if e.table_exists(t):
            e.materialize(
                t,
                f"SELECT * REPLACE (CASE WHEN record_key IN {gone} THEN NULL "
                f"ELSE record_key END AS record_key) FROM {t}",
            )
    return {"suppressed_records": n}
