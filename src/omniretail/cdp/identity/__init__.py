"""omniretail.cdp.identity."""
