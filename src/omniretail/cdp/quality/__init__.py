"""omniretail.cdp.quality."""
