"""Store-led work about a person — their shopping guide, the clerk's tasks and visits, their
group-buy orders, a leader's record — kept for the clerks' and leaders' figures under the
erasure's tombstone id, without the personal texts."""

from __future__ import annotations

from omniretail.platform.privacy.registry import TableRule, ValueRule, table_rule, value_rule

for _t in ("guide_binding", "guide_customer", "guide_transfer", "gb_order"):
    table_rule(TableRule(_t, owner="operations"))
table_rule(TableRule("guide_task", scrub=("message",), owner="operations"))
table_rule(TableRule("guide_visit", clear=("note",), owner="operations"))
table_rule(TableRule("gb_leader", clear=("phone",), scrub=("name",), owner="operations"))
# community: a member's stays in groups and check-ins (member_key is their WeCom id / unionid)
table_rule(
    TableRule(
        "com_member", clear=("name", "phone"), scrub=("member_key",), owner="operations.community"
    )
)
table_rule(TableRule("com_checkin", scrub=("member_key",), owner="operations.community"))
value_rule(
    ValueRule(
        "com_invite", ("inviter_key", "invitee_key"), erase="scrub", owner="operations.community"
    )
)
