"""omniretail.cdp.consent."""
