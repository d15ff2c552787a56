"""Amounts on console pages: thousands separators and the sign before ¥, as the stores write."""

from __future__ import annotations

import pytest

from omniretail.platform.console.templating import environment


@pytest.mark.parametrize(
    ("value", "digits", "shown"),
    [
        (94756.05, 2, "¥94,756.05"),
        (-3.51, 2, "-¥3.51"),
        (-0.001, 2, "¥0.00"),  # rounds to zero: no minus sign
        (54682.4, 0, "¥54,682"),
        ("1234.5", 2, "¥1,234.50"),  # a Decimal or text from the store
        (None, 2, "—"),
        ("", 2, "—"),
        ("n/a", 2, "n/a"),
    ],
)
def test_yuan(value: object, digits: int, shown: str) -> None:
    template = environment().from_string("{{ v | yuan(d) }}")
    assert template.render(v=value, d=digits) == shown
