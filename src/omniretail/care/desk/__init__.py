"""omniretail.care.desk: one inbox, tickets and SLA clocks."""
