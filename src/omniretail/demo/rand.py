"""Vectorised random helpers: per-row categorical draws, unique scrambled ids, random tokens."""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

Arr = npt.NDArray[Any]

_B64 = np.frombuffer(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", np.uint8)
_HEX = np.frombuffer(b"0123456789abcdef", np.uint8)
_DIGITS = np.frombuffer(b"0123456789", np.uint8)


def stage_rng(seed: int, stage: str) -> np.random.Generator:
    """An independent generator per stage, so that changing one stage leaves the others alone."""
    digest = hashlib.sha256(f"{seed}:{stage}".encode()).digest()
    return np.random.default_rng(int.from_bytes(digest[:8], "little"))


def draw_rows(rng: np.random.Generator, probs: Arr, rows: Arr) -> Arr:
    """For each entry of ``rows`` draw a column index from the row's distribution ``probs[row]``.

    Memory is O(size of probs + len(rows)): the row cumulative sums are laid end to end, each
    shifted by its row number, and one ``searchsorted`` finds all draws at once."""
    n_rows, k = probs.shape
    cum = np.cumsum(probs, axis=1)
    cum = cum / cum[:, -1:]
    flat = (cum + np.arange(n_rows)[:, None]).ravel()
    u = rows + rng.random(len(rows)) * 0.999999
    idx = np.searchsorted(flat, u, side="right")
    return np.asarray(np.clip(idx - rows * k, 0, k - 1))


def draw_in_groups(rng: np.random.Generator, weights: Arr, offsets: Arr, group: Arr) -> Arr:
    """Draw an item index for each entry of ``group``; items of a group are the contiguous block
    ``offsets[g]:offsets[g+1]`` of ``weights``. Returns global item indices."""
    n_groups = len(offsets) - 1
    gid = np.repeat(np.arange(n_groups), np.diff(offsets))
    w = weights.astype(np.float64)
    cum = np.cumsum(w)
    start = np.concatenate([[0.0], cum])[offsets[:-1]]
    total = np.concatenate([[0.0], cum])[offsets[1:]] - start
    local = (cum - start[gid]) / total[gid]  # in (0, 1] within each group
    flat = local + gid
    u = group + rng.random(len(group)) * 0.999999
    idx = np.searchsorted(flat, u, side="right")
    return np.clip(idx, offsets[group], offsets[group + 1] - 1)


def scrambled_ids(n: int, width: int, salt: int) -> Arr:
    """``n`` distinct random-looking integers below ``10**width`` (an affine permutation)."""
    modulus = 10**width
    if n > modulus:
        raise ValueError(f"cannot draw {n} distinct ids of width {width}")
    step = (7_919 * 10 ** max(0, width - 6) + 3) | 1  # odd and not a multiple of 5
    while step % 5 == 0:
        step += 2
    base = salt % modulus
    i = np.arange(n, dtype=object) if width > 17 else np.arange(n, dtype=np.int64)
    return np.asarray((base + i * step) % modulus)


def zfill(values: Arr, width: int) -> Arr:
    """``np.char.zfill`` that also takes an empty array (a tiny world can have none of a kind)."""
    if not len(values):
        return np.array([], dtype=f"<U{width}")
    return np.char.zfill(values, width)


def zero_pad(values: Arr, width: int) -> pa.Array:
    """Integers as fixed-width digit strings."""
    return pc.utf8_lpad(pa.array(values.astype(np.int64)).cast(pa.string()), width, "0")


def tokens(rng: np.random.Generator, n: int, length: int, alphabet: str = "b64") -> Arr:
    """``n`` random strings of ``length`` characters (numpy unicode array)."""
    table = {"b64": _B64, "hex": _HEX, "digits": _DIGITS}[alphabet]
    codes = table[rng.integers(0, len(table), (n, length))]
    return np.ascontiguousarray(codes).view(f"S{length}").ravel().astype(f"U{length}")


def unique_tokens(rng: np.random.Generator, n: int, length: int, prefix: str) -> Arr:
    """Random tokens made unique by embedding a scrambled sequence number (base 64)."""
    seq = scrambled_ids(n, 9, salt=int(rng.integers(1 << 40)))
    head = np.empty((n, 5), np.uint8)
    x = seq.astype(np.int64)
    for j in range(5):
        head[:, 4 - j] = _B64[x % 64]
        x = x // 64
    head_s = np.ascontiguousarray(head).view("S5").ravel().astype("U5")
    tail = tokens(rng, n, length - len(prefix) - 5)
    return np.char.add(np.char.add(prefix, head_s), tail)


def uuids(rng: np.random.Generator, n: int) -> Arr:
    """Random UUID-4 shaped strings (``8-4-4-4-12`` hex digits)."""
    h = np.ascontiguousarray(tokens(rng, n, 32, "hex")).view("U1").reshape(n, 32)
    out = np.full((n, 36), "-", dtype="U1")
    out[:, 0:8] = h[:, 0:8]
    out[:, 9:13] = h[:, 8:12]
    out[:, 14] = "4"
    out[:, 15:18] = h[:, 13:16]
    out[:, 19:23] = h[:, 16:20]
    out[:, 24:36] = h[:, 20:32]
    return np.ascontiguousarray(out).view("U36").ravel()


def pick(rng: np.random.Generator, options: tuple[str, ...] | list[str], n: int) -> Arr:
    """``n`` uniform draws from a list of strings (numpy unicode array)."""
    return np.asarray(options)[rng.integers(0, len(options), n)]


def uuid_array(rng: np.random.Generator, n: int) -> pa.Array:
    """``n`` random UUID-4 strings as an Arrow array, built directly from a byte matrix."""
    nib = rng.integers(0, 16, (n, 32), dtype=np.uint8)
    hexd = _HEX[nib]
    out = np.full((n, 36), ord("-"), np.uint8)
    out[:, 0:8] = hexd[:, 0:8]
    out[:, 9:13] = hexd[:, 8:12]
    out[:, 14] = ord("4")
    out[:, 15:18] = hexd[:, 13:16]
    out[:, 19:23] = hexd[:, 16:20]
    out[:, 24:36] = hexd[:, 20:32]
    offsets = np.arange(0, 36 * (n + 1), 36, dtype=np.int32)
    return pa.StringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(out.tobytes()))
