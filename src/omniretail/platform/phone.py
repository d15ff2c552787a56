"""One phone rule for the whole system: import (write path), identity linking and lookup.

- :func:`parse_phone` → :class:`ParsedPhone`: E.164 for a number that validates (libphonenumber,
  region ``CN`` by default), or the masked form of a partly hidden number (``138****5678``,
  ``*******5678``, ``尾号5678``), with the fix label the import records;
- :func:`normalize_phone`: the E.164 form or ``None`` — what linking and lookup compare;
- :func:`normalize_masked`: the masked form or ``None``.

Before parsing, text is NFKC-normalised (full-width digits), trimmed, and spaces, dashes,
brackets, dots and middle dots are dropped. Numbers that do not validate are never guessed at.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache, lru_cache

import phonenumbers

DEFAULT_REGION = "CN"

MASKED = re.compile(r"^\+?(?:86)?(1\d{2})[\*xX]{4}(\d{4})$")
# only the last four digits known: "*******5678", "手机尾号5678", "尾号5678"
MASKED_TAIL = re.compile(r"^(?:\*{7}|(?:手机)?尾号)(\d{4})$")
_JUNK = re.compile(r"[\s\-\(\)\.·]")
# a Chinese mobile number, bare or with the country code: most phones, parsed without the
# general parser (see _cn_mobile)
_CN_MOBILE = re.compile(r"^(?:\+86|0086)?(1[3-9]\d{9})$")
CN_MOBILE_PREFIX = 5  # libphonenumber's CN mobile pattern: a prefix of at most 5 digits + \d{6,8}
MIN_DIGITS = 7  # fewer digits are never a whole phone number (an order id, a tail to search by)


@dataclass(frozen=True)
class ParsedPhone:
    e164: str | None  # +8613812345678
    masked: str | None  # 138****5678 or *******5678 (a partial identifier)
    fix: str | None  # phone_masked | phone_invalid | phone_e164 (reformatted) | None (as given)


def compact(value: str) -> str:
    """NFKC, then without spaces, dashes, brackets, dots and middle dots."""
    return _JUNK.sub("", unicodedata.normalize("NFKC", value).strip())


def normalize_masked(value: str) -> str | None:
    """A masked phone in the contract's form: ``138****5678`` or ``*******5678``."""
    v = compact(value)
    m = MASKED.match(v)
    if m:
        return f"{m.group(1)}****{m.group(2)}"
    t = MASKED_TAIL.match(v)
    return f"*******{t.group(1)}" if t else None


@lru_cache(maxsize=1 << 18)
def parse_phone(value: str, region: str = DEFAULT_REGION) -> ParsedPhone:
    """A raw phone → E.164, or its masked form, or invalid. Cached: the same phone arrives from
    many sources, and parsing and validating it is the costly part of the import's Python pass."""
    text = compact(value)
    masked = normalize_masked(text)
    if masked is not None:
        return ParsedPhone(None, masked, "phone_masked")
    if region == DEFAULT_REGION and (m := _CN_MOBILE.match(text)):
        e164 = _cn_mobile(m.group(1))
        if e164 is None:
            return ParsedPhone(None, None, "phone_invalid")
        return ParsedPhone(e164, None, None if e164 == value else "phone_e164")
    if sum(ch.isdigit() for ch in text) < MIN_DIGITS:
        return ParsedPhone(None, None, "phone_invalid")
    try:
        num = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return ParsedPhone(None, None, "phone_invalid")
    if not phonenumbers.is_valid_number(num):
        return ParsedPhone(None, None, "phone_invalid")
    e164 = phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.E164)
    return ParsedPhone(e164, None, None if e164 == value else "phone_e164")


def _cn_mobile(national: str) -> str | None:
    """E.164 of an 11-digit national number starting 13–19, or None when it is not valid: the
    same answer as ``phonenumbers.parse`` + ``is_valid_number`` (a test compares the two on
    every 5-digit prefix) at a fifth of the cost — the number's validity depends only on its
    leading digits, so it is decided once per prefix."""
    return f"+86{national}" if _cn_mobile_prefix_valid(national[:CN_MOBILE_PREFIX]) else None


@cache
def _cn_mobile_prefix_valid(prefix: str) -> bool:
    number = prefix.ljust(11, "0")
    return bool(
        phonenumbers.is_valid_number(
            phonenumbers.PhoneNumber(country_code=86, national_number=int(number))
        )
    )


def normalize_phone(value: str, region: str = DEFAULT_REGION) -> str | None:
    """E.164 for anything that parses as a valid phone number, else ``None``."""
    return parse_phone(value, region).e164
