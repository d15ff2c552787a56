"""Orders, fulfilments and returns of a person: kept for the sales and stock figures under the
erasure's tombstone id, without the buyer's identifiers and the delivery address."""

from __future__ import annotations

from omniretail.platform.privacy.registry import TableRule, table_rule

table_rule(TableRule("sales_order", clear=("buyer",), scrub=("request",), owner="omnichannel"))
table_rule(TableRule("ful_fulfilment", clear=("address",), owner="omnichannel"))
table_rule(TableRule("ful_return", owner="omnichannel"))
table_rule(TableRule("ful_returnable", owner="omnichannel"))
