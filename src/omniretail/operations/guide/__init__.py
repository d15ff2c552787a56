"""omniretail.operations.guide: smart shopping guides (导购) — clerk–customer relationships,
attribution of orders to clerks, clerk task lists, the clerk workbench and HQ rankings."""
