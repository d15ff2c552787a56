"""Chinese review text: normalisation (NFKC, OpenCC traditional → simplified, white space),
sentence splitting, and word segmentation with a retail user dictionary.

Segmentation is jieba's algorithm (dictionary DAG + HMM for unknown words) as compiled code
(``rjieba``, the jieba-rs binding): about 20× faster than the pure-Python ``jieba`` and the same
words on 98.6% of the review corpus (the differences are digit runs with hyphens such as
2008-6-1, kept as one token). The retail dictionary is loaded into a private tokenizer before
it is first used."""

from __future__ import annotations

import re
import threading
import unicodedata
from functools import lru_cache
from importlib import resources
from typing import Any

MAX_CHARS = 5000  # longer texts are cut (a review or message that long is pasted noise)
_WS = re.compile(r"\s+")
_SENT_END = re.compile(r"(?<=[。！？!?；;…\n])")
_CJK = re.compile(r"[\u4e00-\u9fff]")
_LATIN = re.compile(r"[A-Za-z]")
_WORDISH = re.compile(r"[\w\u4e00-\u9fff]")
_lock = threading.Lock()


@lru_cache(maxsize=1)
def _converter() -> Any:
    import opencc

    return opencc.OpenCC("t2s")


def normalize(text: object) -> str:
    """NFKC, traditional → simplified, white space folded, cut at ``MAX_CHARS``."""
    if text is None:
        return ""
    s = unicodedata.normalize("NFKC", str(text))
    s = _WS.sub(" ", s).strip()[:MAX_CHARS]
    return str(_converter().convert(s)) if s else ""


def has_words(text: str) -> bool:
    """False for empty, emoji-only or punctuation-only text (nothing to analyse)."""
    return bool(_WORDISH.search(text))


def script_of(text: str) -> str:
    """``zh``, ``latin``, ``mixed`` or ``none`` (no letters: emoji, digits, punctuation)."""
    cjk, latin = bool(_CJK.search(text)), bool(_LATIN.search(text))
    if cjk and latin:
        return "mixed"
    return "zh" if cjk else "latin" if latin else "none"


def sentences(text: str) -> list[str]:
    """Split normalised text into sentences (。！？；… and line ends; commas stay inside)."""
    parts = (p.strip(" ，,") for p in _SENT_END.split(text))
    return [p for p in parts if p and has_words(p)]


def retail_dictionary_lines() -> list[str]:
    return (
        resources.files("omniretail.insight.voice")
        .joinpath("retail_dict.txt")
        .read_text(encoding="utf-8")
        .splitlines()
    )


@lru_cache(maxsize=1)
def tokenizer() -> Any:
    """A jieba-rs tokenizer with the retail dictionary loaded (once, under a lock)."""
    import rjieba

    with _lock:
        tok = rjieba.Jieba()
        for line in retail_dictionary_lines():
            parts = line.split()
            if parts:
                tok.add_word(parts[0], int(parts[1]) if len(parts) > 1 else None, None)
    return tok


def words(text: str) -> list[str]:
    """Segment normalised text into words, dropping white space and punctuation."""
    return [w for w in tokenizer().cut(text, True) if _WORDISH.search(w)]
