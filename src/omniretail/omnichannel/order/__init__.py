"""omniretail.omnichannel.order."""
