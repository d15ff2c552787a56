"""omniretail.demo."""
