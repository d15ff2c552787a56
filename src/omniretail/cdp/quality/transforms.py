"""Value transforms that need a library (phonenumbers, OpenCC, Unicode NFKC).

They are applied to the *distinct* values of a column only (the standardize step selects
distinct values in the engine, maps them here and joins the result back), so a column of ten
million rows with a hundred thousand distinct phones costs a hundred thousand calls.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from functools import lru_cache

import pyarrow as pa
import pyarrow.compute as pc

from omniretail.platform.geo import short_province
from omniretail.platform.phone import CN_MOBILE_PREFIX, DEFAULT_REGION, parse_phone
from omniretail.platform.phone import _cn_mobile_prefix_valid as cn_prefix_valid
from omniretail.platform.phone import normalize_masked as normalize_masked

_SPACES = re.compile(r"\s+")


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


def clean_phone(value: str, region: str = "CN") -> tuple[str | None, str | None, str | None]:
    """A raw phone → (E.164 or None, masked form or None, fix label or None), by the one
    phone rule (``platform.phone``). Masked numbers (``138****5678``) are partial identifiers:
    kept in ``phone_masked``. Numbers that do not validate are not guessed at: they become
    null, labelled ``phone_invalid``."""
    parsed = parse_phone(value, region)
    return parsed.e164, parsed.masked, parsed.fix


# a phone written with digits (ASCII or full-width), a plus, spaces, dashes, brackets, dots and
# middle dots only: compact() (NFKC, those separators dropped) gives the same text in Arrow's
# kernels; when that is a plain Chinese mobile number no masked form matches it, so
# parse_phone's answer depends only on its first five national digits (platform/phone.py)
_SIMPLE_PHONE = r"^[0-9０-９+＋ \-().·]+$"
_SEPARATORS = r"[ \-().·]"
_PLAIN_CN_MOBILE = r"^(?:\+86|0086)?1[3-9][0-9]{9}$"


def clean_phones(
    values: Sequence[str | None], region: str = DEFAULT_REGION
) -> tuple[list[str | None], list[str | None], list[str | None]]:
    """``clean_phone`` of many values, as three lists (E.164, masked form, fix label; None for
    a None value). Chinese mobile numbers written plainly — most phones — are decided with
    Arrow's string kernels, each number's validity once per prefix; the others one by one."""
    n = len(values)
    outs: list[str | None] = [None] * n
    masked: list[str | None] = [None] * n
    fixes: list[str | None] = [None] * n
    arr = pa.array(values, pa.string())
    text = pc.replace_substring_regex(pc.utf8_normalize(arr, "NFKC"), _SEPARATORS, "")
    if region == DEFAULT_REGION:
        plain = pc.fill_null(
            pc.and_(
                pc.match_substring_regex(arr, _SIMPLE_PHONE),
                pc.match_substring_regex(text, _PLAIN_CN_MOBILE),
            ),
            False,
        )
    else:
        plain = pa.array([False] * n, pa.bool_())
    national = pc.utf8_slice_codeunits(text, -11)
    prefix = pc.utf8_slice_codeunits(national, 0, CN_MOBILE_PREFIX)
    candidates = pc.unique(pc.filter(prefix, plain)).to_pylist()
    valid = pa.array([p for p in candidates if cn_prefix_valid(p)], pa.string())
    ok = pc.and_(plain, pc.fill_null(pc.is_in(prefix, value_set=valid), False))
    e164 = pc.binary_join_element_wise(pa.scalar("+86"), national, "")
    for i, (v, is_plain, is_ok, e) in enumerate(
        zip(values, plain.to_pylist(), ok.to_pylist(), e164.to_pylist(), strict=True)
    ):
        if v is None:
            continue
        if not is_plain:
            outs[i], masked[i], fixes[i] = clean_phone(v, region)
        elif is_ok:
            outs[i] = e
            fixes[i] = None if e == v else "phone_e164"
        else:
            fixes[i] = "phone_invalid"
    return outs, masked, fixes


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
