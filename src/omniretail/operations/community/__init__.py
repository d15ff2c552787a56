"""Social communities (社群): the WeCom customer-group registry, live codes, referral and
fission invite trees with abuse rules, daily check-ins and group health."""
