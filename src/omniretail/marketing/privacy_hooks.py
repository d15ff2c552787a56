"""Coupons, points and campaign membership of a person: kept for the offer, liability and
campaign figures under the erasure's tombstone id."""

from __future__ import annotations

from omniretail.platform.privacy.registry import TableRule, table_rule

for _t in (
    "coupon",
    "coupon_redemption",
    "coupon_claim_count",
    "loyalty_account",
    "campaign_member",
    "flash_sale_allocation",
    "team_buy_member",
):
    table_rule(TableRule(_t, owner="marketing"))
table_rule(TableRule("team_buy_group", customer_column="leader_customer_id", owner="marketing"))
