"""Store-led work about a person — their shopping guide, the clerk's tasks and visits, their
group-buy orders, a leader's record — kept for the clerks' and leaders' figures under the
erasure's tombstone id, without the personal texts."""

from __future__ import annotations

from omniretail.platform.privacy.registry import TableRule, table_rule

for _t in ("guide_binding", "guide_customer", "guide_transfer", "gb_order"):
    table_rule(TableRule(_t, owner="operations"))
table_rule(TableRule("guide_task", scrub=("message",), owner="operations"))
table_rule(TableRule("guide_visit", clear=("note",), owner="operations"))
table_rule(TableRule("gb_leader", clear=("phone",), scrub=("name",), owner="operations"))
