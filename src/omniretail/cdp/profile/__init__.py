"""omniretail.cdp.profile."""
