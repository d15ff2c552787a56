"""Value transforms that need a library (phonenumbers, OpenCC, Unicode NFKC).

They are applied to the *distinct* values of a column only (the standardize step selects
distinct values in the engine, maps them here and joins the result back), so a column of ten
million rows with a hundred thousand distinct phones costs a hundred thousand calls.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from functools import lru_cache

import phonenumbers

from omniretail.platform.geo import short_province

MASKED = re.compile(r"^\+?(?:86)?(1\d{2})[\*xX]{4}(\d{4})$")
# only the last four digits known: "*******5678", "手机尾号5678", "尾号5678"
MASKED_TAIL = re.compile(r"^(?:\*{7}|(?:手机)?尾号)(\d{4})$")


def normalize_masked(value: str) -> str | None:
    """A masked phone in the contract's form: ``138****5678`` or ``*******5678``."""
    v = _PHONE_JUNK_CHARS.sub("", fullwidth(value))
    m = MASKED.match(v)
    if m:
        return f"{m.group(1)}****{m.group(2)}"
    t = MASKED_TAIL.match(v)
    return f"*******{t.group(1)}" if t else None


_SPACES = re.compile(r"\s+")
_PHONE_JUNK_CHARS = re.compile(r"[\s\-\(\)\.·]")


@lru_cache(maxsize=1)
def _t2s() -> Callable[[str], str]:
    import opencc

    conv = opencc.OpenCC("t2s")
    return conv.convert  # type: ignore[no-any-return]


def fullwidth(value: str) -> str:
    """Full-width letters, digits and punctuation → half-width (NFKC); ideographic space too."""
    return unicodedata.normalize("NFKC", value)


def t2s(value: str) -> str:
    return _t2s()(value)


def strip(value: str) -> str:
    return value.strip()


def collapse_spaces(value: str) -> str:
    return _SPACES.sub(" ", value).strip()


def digits(value: str) -> str:
    return "".join(ch for ch in value if ch.isdigit())


def clean_name(value: str) -> str:
    """Names: NFKC, traditional → simplified, whitespace collapsed; no space inside CJK names."""
    v = collapse_spaces(t2s(fullwidth(value)))
    if v and all(not ch.isascii() or ch == " " for ch in v):
        v = v.replace(" ", "")
    return v


def clean_place(value: str) -> str:
    return collapse_spaces(t2s(fullwidth(value)))


def canonical_province(value: str) -> str:
    """``广东省`` → ``广东``, ``广西壮族自治区`` → ``广西``, ``上海市`` → ``上海``."""
    return short_province(clean_place(value))


def canonical_city(value: str) -> str:
    """``杭州市`` → ``杭州``; districts and counties keep their suffix (``浦东新区``)."""
    v = clean_place(value)
    if v.endswith("市") and len(v) > 2:
        return v[:-1]
    return v


@lru_cache(maxsize=1 << 18)
def clean_phone(value: str, region: str = "CN") -> tuple[str | None, str | None, str | None]:
    """A raw phone → (E.164 or None, masked form or None, fix label or None).

    Masked numbers (``138****5678``) are partial identifiers: kept in ``phone_masked``.
    Numbers that do not validate are not guessed at: they become null, labelled
    ``phone_invalid``. Cached: the same phone arrives from many sources, and parsing and
    validating it (phonenumbers) is the costly part of the Python pass.
    """
    raw = fullwidth(value).strip()
    compact = _PHONE_JUNK_CHARS.sub("", raw)
    masked = normalize_masked(compact)
    if masked is not None:
        return None, masked, "phone_masked"
    if not compact:
        return None, None, "phone_invalid"
    try:
        num = phonenumbers.parse(compact, region)
    except phonenumbers.NumberParseException:
        return None, None, "phone_invalid"
    if not phonenumbers.is_valid_number(num):
        return None, None, "phone_invalid"
    e164 = phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.E164)
    return e164, None, (None if e164 == value else "phone_e164")


def mask_phone(e164: str) -> str | None:
    """``+8613812345678`` → ``138****5678`` (Chinese mobiles), for the masked identifier."""
    if e164.startswith("+86") and len(e164) == 14:
        return f"{e164[3:6]}****{e164[-4:]}"
    return None


TRANSFORMS: dict[str, Callable[[str], str]] = {
    "strip": strip,
    "collapse_spaces": collapse_spaces,
    "upper": str.upper,
    "lower": str.lower,
    "fullwidth": fullwidth,
    "t2s": t2s,
    "digits": digits,
    "empty_to_null": strip,
}


def apply_chain(values: Iterable[str], chain: list[str]) -> list[str | None]:
    """Apply a mapping's transform chain (``phone`` excluded) to each value."""
    fns = [TRANSFORMS[t] for t in chain if t != "phone"]
    out: list[str | None] = []
    for v in values:
        r: str | None = v
        for fn in fns:
            r = fn(r) if r is not None else None
        out.append(r if r != "" else None)
    return out
