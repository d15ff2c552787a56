"""omniretail.care.alerts: negative-mention count cube, spike detection, crisis tickets."""
