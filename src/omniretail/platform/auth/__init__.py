"""omniretail.platform.auth."""
