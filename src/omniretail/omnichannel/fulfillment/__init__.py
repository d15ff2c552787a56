"""Fulfilment of online orders: pickup in store, ship from store, same-city delivery, returns."""
