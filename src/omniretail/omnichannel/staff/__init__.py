"""omniretail.omnichannel.staff: store managers, cashiers and shopping guides (导购)."""
