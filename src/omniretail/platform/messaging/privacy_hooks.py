"""Messages to a person: kept for the campaign and channel figures under the erasure's
tombstone id, without the address they went to or the parameters they carried."""

from __future__ import annotations

from omniretail.platform.privacy.registry import TableRule, table_rule

table_rule(
    TableRule(
        "message",
        clear=("recipient", "external_id", "error"),
        scrub=("payload",),
        owner="platform.messaging",
    )
)
