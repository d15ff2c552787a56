"""omniretail.cli."""
