"""Coupon codes: random (``secrets``), a human-friendly alphabet and a Luhn mod N check character.

The alphabet leaves out look-alikes (0/O, 1/I/L, U), so a code read aloud at the till or typed
from a screenshot is rarely mistyped, and when it is, the check character catches every single
wrong character and every swap of two neighbours before the database is asked.
"""

from __future__ import annotations

import secrets

ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"  # 30 symbols, no 0 O 1 I L U
_INDEX = {c: i for i, c in enumerate(ALPHABET)}
BODY_LENGTH = 12  # 30**12 ~ 5.3e17 (~59 bits): guessing one live code is hopeless
GROUP = 4


def _check_char(body: str) -> str:
    """Luhn mod N: the character that makes the weighted sum divisible by N."""
    n = len(ALPHABET)
    factor = 2
    total = 0
    for ch in reversed(body):
        addend = factor * _INDEX[ch]
        factor = 1 if factor == 2 else 2
        total += addend // n + addend % n
    return ALPHABET[(n - total % n) % n]


def new_code(prefix: str = "") -> str:
    """A fresh code such as ``CP-7KQ4-M2XH-9TBW-R`` (prefix optional)."""
    body = "".join(secrets.choice(ALPHABET) for _ in range(BODY_LENGTH))
    groups = [body[i : i + GROUP] for i in range(0, BODY_LENGTH, GROUP)]
    code = "-".join([*groups, _check_char(body)])
    return f"{prefix}-{code}" if prefix else code


def normalize(raw: str) -> str:
    """Canonical form of what a customer typed: upper case, no spaces, dashes kept."""
    return raw.strip().upper().replace(" ", "")


def is_well_formed(code: str) -> bool:
    """True when the code's body only uses the alphabet and its check character matches."""
    parts = code.split("-")
    if len(parts) < 2:
        return False
    body_groups, check = parts[:-1], parts[-1]
    # a prefix (letters/digits outside the alphabet allowed) may precede the groups
    groups = [g for g in body_groups if len(g) == GROUP and all(c in _INDEX for c in g)]
    body = "".join(groups[-(BODY_LENGTH // GROUP) :])
    if len(body) != BODY_LENGTH or len(check) != 1 or check not in _INDEX:
        return False
    return _check_char(body) == check
