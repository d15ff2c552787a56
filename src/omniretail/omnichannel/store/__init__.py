"""omniretail.omnichannel.store."""
