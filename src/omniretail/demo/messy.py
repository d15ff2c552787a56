"""How real exports garble values: phone formats and masks, names, birthdays, duplicated rows."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from omniretail.demo.names import to_traditional, with_typos
from omniretail.demo.rand import Arr

_FULLWIDTH = str.maketrans("0123456789+-", "０１２３４５６７８９＋－")
TEST_NAMES = ("测试", "测试账号", "test", "TEST001", "ceshi", "测试01", "内部测试", "Test User")
TEST_PHONES = ("13800000000", "13888888888", "18888888888", "13000000000", "13912345678")


def _parts(phone: Arr) -> tuple[Arr, Arr, Arr]:
    s = phone.astype("U11")
    u = np.ascontiguousarray(s).view("U1").reshape(len(s), 11)
    a = np.ascontiguousarray(u[:, :3]).view("U3").ravel()
    b = np.ascontiguousarray(u[:, 3:7]).view("U4").ravel()
    c = np.ascontiguousarray(u[:, 7:]).view("U4").ravel()
    return a, b, c


def messy_phones(rng: np.random.Generator, phone: Arr, missing: float = 0.04) -> Arr:
    """Raw phone strings the way people and clerks type them; '' when missing."""
    n = len(phone)
    a, b, c = _parts(phone)
    s = phone.astype("U11")
    fmt = rng.choice(8, n, p=[0.60, 0.07, 0.07, 0.04, 0.07, 0.06, 0.05, 0.04])
    fmt = np.where(rng.random(n) < missing, 8, fmt)
    sp = np.char.add
    choices = [
        sp(sp(sp(sp("+86 ", a), " "), sp(b, " ")), c),
        sp("+86", s),
        sp(sp(sp(sp("0086-", a), "-"), sp(b, "-")), c),
        sp(sp(sp(a, "-"), sp(b, "-")), c),
        sp(sp(sp(a, " "), sp(b, " ")), c),
        np.full(n, "", "U1"),
    ]
    out = np.select(
        [fmt == 1, fmt == 2, fmt == 3, fmt == 4, fmt == 5, fmt == 8],
        [x.astype("U24") for x in choices],
        default=s.astype("U24"),
    )
    wide = np.flatnonzero(fmt == 6)
    out[wide] = [x.translate(_FULLWIDTH) for x in out[wide]]
    pad = np.flatnonzero(fmt == 7)  # stray spaces around
    out[pad] = np.char.add(np.char.add(" ", out[pad]), " ")
    return out


def masked_phones(phone: Arr, style: str) -> Arr:
    """Platform masks: ``138****5678`` (mid4), ``*******5678`` (last4), ``手机尾号5678`` (tail)."""
    a, _, c = _parts(phone)
    if style == "mid4":
        return np.char.add(np.char.add(a, "****"), c)
    if style == "last4":
        return np.char.add("*******", c)
    if style == "tail":
        return np.char.add("手机尾号", c)
    raise ValueError(f"unknown mask style {style!r}")


def virtual_numbers(rng: np.random.Generator, n: int) -> Arr:
    """Delivery-app privacy numbers: ``17012345678_1234`` (virtual number + extension)."""
    base = 170_0000_0000 + rng.integers(0, 1_0000_0000, n)
    ext = rng.integers(1000, 10000, n)
    return np.char.add(np.char.add(base.astype(str), "_"), ext.astype(str))


def messy_names(rng: np.random.Generator, names: Arr, missing: float = 0.02) -> Arr:
    """~5 % traditional characters, ~3 % homophone typos, some missing."""
    out = names.astype("U16").copy()
    r = rng.random(len(out))
    trad = np.flatnonzero(r < 0.05)
    out[trad] = to_traditional(out[trad])
    typo = np.flatnonzero((r >= 0.05) & (r < 0.08))
    out[typo] = with_typos(out[typo])
    out[rng.random(len(out)) < missing] = ""
    return out


def messy_birthdays(rng: np.random.Generator, birthday: Arr, known: float, slashes: bool) -> Arr:
    """ISO dates, some ``1990/5/3``, '' when unknown."""
    out = birthday.astype("datetime64[D]").astype("U10")
    if slashes:
        sl = np.flatnonzero(rng.random(len(out)) < 0.25)
        if len(sl):
            d = birthday[sl].astype("datetime64[D]")
            y = d.astype("datetime64[Y]").astype(int) + 1970
            m = d.astype("datetime64[M]").astype(int) % 12 + 1
            day = (d - d.astype("datetime64[M]")).astype(int) + 1
            out[sl] = np.char.add(
                np.char.add(np.char.add(y.astype(str), "/"), np.char.add(m.astype(str), "/")),
                day.astype(str),
            )
    out[rng.random(len(out)) >= known] = ""
    return out


def duplicate_rows(rng: np.random.Generator, table: pa.Table, share: float) -> pa.Table:
    """Append a copy of ``share`` of the rows at the end (rows exported twice, the way an
    overlapping re-export appends them)."""
    n = table.num_rows
    again = np.flatnonzero(rng.random(n) < share)
    return pa.concat_tables([table, table.take(pa.array(again))])


def fill_test(values: Arr, is_test: Arr, options: tuple[str, ...], rng: np.random.Generator) -> Arr:
    out = values.astype(f"U{max(values.dtype.itemsize // 4, 16)}").copy()
    idx = np.flatnonzero(is_test)
    out[idx] = np.asarray(options)[rng.integers(0, len(options), len(idx))]
    return out
