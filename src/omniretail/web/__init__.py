"""omniretail.web."""
