"""Coupons (优惠券): templates, unguessable codes, issue and claim, validate, redeem, reverse."""
