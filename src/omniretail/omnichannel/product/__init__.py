"""omniretail.omnichannel.product."""
