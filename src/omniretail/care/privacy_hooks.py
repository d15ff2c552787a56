"""Customer service conversations and tickets of a person: what they wrote is deleted, the
tickets stay for the service-level figures under the erasure's tombstone id."""

from __future__ import annotations

from omniretail.platform.privacy.registry import TableRule, table_rule

table_rule(
    TableRule(
        "desk_message",
        via=("conversation_id", "desk_conversation"),
        erase="delete",
        owner="care.desk",
    )
)
table_rule(TableRule("desk_conversation", clear=("external_id",), owner="care.desk"))
table_rule(TableRule("desk_ticket", scrub=("subject",), owner="care.desk"))
