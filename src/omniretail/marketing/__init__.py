"""omniretail.marketing."""
