"""Errors of the channel master data."""

from __future__ import annotations

from omniretail.platform.errors import NotFound


class UnknownChannel(NotFound):
    """No channel has this code."""

    def __init__(self, code: str, *, field: str = "channel_code") -> None:
        super().__init__(f"渠道 {code!r} 不存在 (unknown channel {code!r})", field=field)
        self.code = code
