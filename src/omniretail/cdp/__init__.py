"""omniretail.cdp."""
