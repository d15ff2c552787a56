"""omniretail.omnichannel.channel."""
