"""The standardize step's Python pass decides most phones at once (``clean_phones``: Arrow
string kernels, validity once per prefix): it must give exactly what ``clean_phone`` gives one
value at a time."""

from __future__ import annotations

import random

from omniretail.cdp.quality.transforms import clean_phone, clean_phones


def _values() -> list[str | None]:
    rng = random.Random(11)
    out: list[str | None] = [None, "", " ", "13812345678", "+8613812345678", "008613812345678"]
    out += ["8613812345678", "12345678901", "1381234567", "138123456789", "+85291234567"]
    out += ["138 1234 5678", "138-1234-5678", "(138)12345678", "１３８１２３４５６７８"]
    out += ["138****5678"]
    out += ["*******5678", "尾号5678", "13812345678\n", " 13812345678", "+86 138 1234 5678"]
    out += ["010-6512 3456", "+86１3812345678", "1381234567８", "phone", "+1 650 253 0000"]
    for _ in range(3000):  # every kind of 1x prefix, valid or not
        national = f"1{rng.randrange(10)}{rng.randrange(10**9):09d}"
        out.append(rng.choice(["", "+86", "0086"]) + national)
    return out


def test_clean_phones_is_clean_phone_on_each_value() -> None:
    values = _values()
    for region in ("CN", "US"):
        outs, masked, fixes = clean_phones(values, region)
        expected = [
            clean_phone(v, region) if v is not None else (None, None, None) for v in values
        ]
        assert list(zip(outs, masked, fixes, strict=True)) == expected
    assert any(f == "phone_invalid" for f in clean_phones(values)[2])
    assert clean_phones([]) == ([], [], [])


def test_separators_and_fullwidth_digits_take_the_same_path() -> None:
    values = ["１３８ １２３４ ５６７８", "+86 (138) 1234.5678", "138·1234·5678", "＋8613812345678"]
    values += ["138\u30001234\u30005678", "138\u00a01234\u00a05678", "138_1234_5678", "+86-0138"]
    outs, masked, fixes = clean_phones(values)
    assert list(zip(outs, masked, fixes, strict=True)) == [clean_phone(v) for v in values]
    assert outs[0] == "+8613812345678"
    assert fixes[0] == "phone_e164"
