"""Errors of the store master data."""

from __future__ import annotations

from omniretail.platform.errors import InvalidInput, NotFound


class UnknownStore(NotFound):
    """No store, warehouse or pickup point has this code."""

    def __init__(self, code: str, *, field: str = "store_code") -> None:
        super().__init__(f"门店 {code!r} 不存在 (unknown store {code!r})", field=field)
        self.code = code


class InvalidStore(InvalidInput):
    """A store record that cannot be saved (bad kind, coordinates, opening hours...)."""
