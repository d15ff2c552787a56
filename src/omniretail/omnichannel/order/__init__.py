"""omniretail.omnichannel.order: operational orders, the basket and the checkout's pricing
interface."""
