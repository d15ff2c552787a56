"""Idempotency keys, normalised once for every idempotent write.

A retried request must not be applied twice because a source system spelled the same key
differently: ``POS`` and ``pos``, a stray space, a full-width digit or a different letter case
in an order id name the same thing. Every service that stores or compares an idempotency key
(points earns, coupon redemptions, operational orders, messages, jobs) builds it here.
"""

from __future__ import annotations

import unicodedata
from typing import Annotated

from pydantic import AfterValidator, Field

__all__ = ["ClientKey", "check_client_key", "idempotency_key", "normalize_key"]

CLIENT_KEY_MAX = 100


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


def check_client_key(value: str) -> str:
    """A key a client sends (``idempotency_key`` of a request): something once normalised (not
    only white space) and at most ``CLIENT_KEY_MAX`` characters normalised (NFKC can lengthen a
    character), so the stored key fits its column."""
    normal = normalize_key(value)
    if not normal:
        raise ValueError("must not be blank")
    if len(normal) > CLIENT_KEY_MAX:
        raise ValueError(f"must be at most {CLIENT_KEY_MAX} characters once normalised")
    return value


# the request field type of a client's idempotency key
ClientKey = Annotated[
    str, Field(min_length=1, max_length=CLIENT_KEY_MAX), AfterValidator(check_client_key)
]
