"""omniretail.service."""
