"""Coupon codes: random (``secrets``), a human-friendly alphabet and a check character.

The alphabet leaves out look-alikes (0/O, 1/I/L), so a code read aloud at the till or typed
from a screenshot is rarely mistyped. It has 31 symbols, a prime, so a weighted checksum mod 31
(weights 1..13 over the 12 body characters and the check character, as in ISO 7064) catches
every single wrong character and every swap of two neighbours before the database is asked.
"""

from __future__ import annotations

import secrets

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # 31 symbols (prime), no 0 O 1 I L
_INDEX = {c: i for i, c in enumerate(ALPHABET)}
_N = len(ALPHABET)
BODY_LENGTH = 12  # 31**12 ~ 7.9e17 (~59 bits): guessing one live code is hopeless
GROUP = 4
_ACCEPT = 256 - 256 % _N  # random bytes below this map uniformly onto the alphabet


def _check_char(body: str) -> str:
    """The character c with sum(w_i * v_i) + (len+1) * c == 0 (mod 31), weights 1, 2, ..."""
    total = sum((i + 1) * _INDEX[ch] for i, ch in enumerate(body))
    weight = len(body) + 1
    return ALPHABET[(-total * pow(weight, -1, _N)) % _N]


def new_code(prefix: str = "") -> str:
    """A fresh code such as ``CP-7KQ4-M2XH-9TBW-R`` (prefix optional)."""
    picked: list[str] = []
    while len(picked) < BODY_LENGTH:  # one system call per code, rejection-sampled (no bias)
        picked.extend(ALPHABET[b % _N] for b in secrets.token_bytes(16) if b < _ACCEPT)
    body = "".join(picked[:BODY_LENGTH])
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
