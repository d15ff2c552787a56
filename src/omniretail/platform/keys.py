"""Idempotency keys, normalised once for every idempotent write.

A retried request must not be applied twice because a source system spelled the same key
differently: ``POS`` and ``pos``, a stray space, a full-width digit or a different letter case
in an order id name the same thing. Every service that stores or compares an idempotency key
(points earns, coupon redemptions, operational orders, messages, jobs) builds it here.
"""

from __future__ import annotations

import unicodedata

__all__ = ["idempotency_key", "normalize_key"]


def normalize_key(value: object) -> str:
    """One part of a key: Unicode NFKC (full-width to half-width), surrounding white space
    removed, inner runs of white space folded to one space, and case folded."""
    text = unicodedata.normalize("NFKC", str(value))
    return " ".join(text.split()).casefold()


def idempotency_key(*parts: object) -> str:
    """A key from several parts (e.g. source, order id), each normalised, joined by ``:``."""
    if not parts:
        raise ValueError("an idempotency key needs at least one part")
    return ":".join(normalize_key(p) for p in parts)
