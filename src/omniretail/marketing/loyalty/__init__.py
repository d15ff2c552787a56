"""Loyalty (会员积分与等级): tiers, a points ledger with FIFO expiry buckets, birthday benefits."""
