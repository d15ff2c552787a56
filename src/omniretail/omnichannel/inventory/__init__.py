"""Stock: locations, a ledger per (location, SKU), reservations, availability, allocation."""
