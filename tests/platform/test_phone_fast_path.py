"""Chinese mobile numbers take a fast path in ``parse_phone`` (no general parser, validity
decided once per 5-digit prefix): it must give exactly what libphonenumber gives."""

from __future__ import annotations

import random

import phonenumbers

from omniretail.platform.phone import CN_MOBILE_PREFIX, ParsedPhone, compact, parse_phone


def reference(value: str) -> ParsedPhone:
    """The general path: libphonenumber's parse, validation and E.164 format."""
    try:
        num = phonenumbers.parse(compact(value), "CN")
    except phonenumbers.NumberParseException:
        return ParsedPhone(None, None, "phone_invalid")
    if not phonenumbers.is_valid_number(num):
        return ParsedPhone(None, None, "phone_invalid")
    e164 = phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.E164)
    return ParsedPhone(e164, None, None if e164 == value else "phone_e164")


def test_every_mobile_prefix_matches_libphonenumber() -> None:
    rng = random.Random(7)
    width = 11 - CN_MOBILE_PREFIX
    checked = valid = 0
    for prefix in range(13 * 10 ** (CN_MOBILE_PREFIX - 2), 20 * 10 ** (CN_MOBILE_PREFIX - 2)):
        tails = {
            "0" * width,
            "9" * width,
            *(f"{rng.randrange(10**width):0{width}d}" for _ in range(2)),
        }
        for tail in tails:
            national = f"{prefix}{tail}"
            forms = [national]
            if tail == "9" * width:
                forms += [f"+86{national}", f"0086{national}", f"+86 {national[:3]} {national[3:]}"]
            for value in forms:
                got = parse_phone(value)
                assert got == reference(value), value
                checked += 1
                valid += got.e164 is not None
    assert checked > 28_000
    assert 0 < valid < checked  # both outcomes occur (some 1x prefixes are not mobile ranges)


def test_other_numbers_keep_the_general_path() -> None:
    for value in ("12345678901", "+85291234567", "010-6512 3456", "8613812345678", "1381234567"):
        assert parse_phone(value) == reference(value), value
