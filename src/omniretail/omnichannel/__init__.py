"""omniretail.omnichannel."""
