"""The basket a coupon or a promotion is checked against: it belongs to the retail core
(:mod:`omniretail.omnichannel.order.basket`) and is re-exported here for marketing's code."""

from __future__ import annotations

from omniretail.omnichannel.order.basket import Basket, BasketLine

__all__ = ["Basket", "BasketLine"]
