"""omniretail.platform."""
