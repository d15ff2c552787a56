"""omniretail.operations: store-led private-domain work — shopping guides (导购), community
group buying (社区团购) and social communities (社群)."""
