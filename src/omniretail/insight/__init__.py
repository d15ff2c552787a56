"""omniretail.insight."""
