"""omniretail.cdp.ingest."""
