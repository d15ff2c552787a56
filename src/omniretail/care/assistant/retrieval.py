"""FAQ retrieval: BM25 over jieba words (retail dictionary) plus character n-gram cosine
similarity, combined per intent (best paraphrase), with an abstain threshold.

For each intent: bm25 = best BM25 over its paraphrases (jieba words, retail synonyms folded),
para = best character 1–2-gram cosine over its paraphrases, centroid = cosine to the intent's
mean paraphrase vector, and coverage = the share of the question's word weight (IDF over
intents) that the intent's own vocabulary explains — a question about 签证 or 新闻 shares words
like 怎么/申请 with the FAQ but its subject is unexplained, and coverage pulls it down:

    score = (W_BM25 · bm25 / (bm25 + BM25_HALF) + W_PARA · para + W_CENTROID · centroid)
            · coverage ** COVERAGE_POWER

The bot answers only when the best score is at least ``THRESHOLD``; otherwise it abstains and
hands over to a person."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import numpy as np
import yaml

from omniretail.care.assistant.faq import Intent, load_faq
from omniretail.insight.voice import service as voice

W_BM25, W_PARA, W_CENTROID = 0.3, 0.2, 0.5
BM25_HALF = 6.0
COVERAGE_POWER = 0.5
THRESHOLD = 0.36  # chosen on oos_dev (28 of 30 abstain), see docs/assistant.md
_STOP = frozenset(
    [
        "的",
        "了",
        "吗",
        "呢",
        "吧",
        "啊",
        "呀",
        "么",
        "嘛",
        "我",
        "你",
        "您",
        "们",
        "是",
        "在",
        "有",
        "请问",
        "一下",
        "这个",
        "那个",
        "怎么办",
    ]
)


@lru_cache(maxsize=1)
def _synonyms() -> tuple[re.Pattern[str], dict[str, str]]:
    raw = yaml.safe_load(
        resources.files("omniretail.care.assistant").joinpath("synonyms.yaml").read_text("utf-8")
    )
    canon = {alt: str(word) for word, alts in raw.items() for alt in alts}
    alts = sorted(canon, key=len, reverse=True)
    return re.compile("|".join(re.escape(a) for a in alts)), canon


def prepare(text: str) -> str:
    """Normalised, lower-cased text with retail synonyms replaced by their canonical word."""
    pattern, canon = _synonyms()
    return pattern.sub(lambda m: canon[m.group(0)], voice.normalize(text).lower())


def _tokens(prepared: str) -> list[str]:
    return [w for w in voice.words(prepared) if w not in _STOP]


@dataclass(frozen=True)
class Match:
    intent: Intent
    score: float
    runner_up: float


class FaqIndex:
    """An index over the paraphrases of ``intents`` (held-out paraphrases left out on request)."""

    def __init__(
        self,
        intents: tuple[Intent, ...] | None = None,
        *,
        holdout: bool = False,
        with_answers: bool = True,
    ) -> None:
        import scipy.sparse as sp
        from rank_bm25 import BM25Okapi
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.preprocessing import normalize as l2

        self.intents = intents if intents is not None else load_faq()
        docs: list[str] = []
        owner: list[int] = []
        for i, intent in enumerate(self.intents):
            texts = list(intent.indexed(holdout=holdout))
            if with_answers:
                texts.append(intent.answer)
            for q in texts:
                docs.append(prepare(q))
                owner.append(i)
        n = len(self.intents)
        self._owner = np.asarray(owner)
        tokens = [_tokens(d) for d in docs]
        self._bm25 = BM25Okapi([t or ["∅"] for t in tokens])
        # the same Okapi weights as rank-bm25's get_scores, precomputed as a term × document
        # matrix: a question's scores are then a sum of a few sparse rows instead of a Python
        # loop over every paraphrase for every word (which grew with each paraphrase added)
        bm = self._bm25
        self._bm25_terms = {t: j for j, t in enumerate(bm.idf)}
        norm = bm.k1 * (1 - bm.b + bm.b * np.asarray(bm.doc_len, dtype=float) / bm.avgdl)
        rows, cols, vals = [], [], []
        for d, freqs in enumerate(bm.doc_freqs):
            for t, f in freqs.items():
                rows.append(self._bm25_terms[t])
                cols.append(d)
                vals.append((bm.idf[t] or 0) * f * (bm.k1 + 1) / (f + norm[d]))
        self._bm25_matrix = sp.csr_matrix(
            (vals, (rows, cols)), shape=(len(self._bm25_terms), len(docs))
        )
        # documents are grouped by intent in order: each intent's first document
        self._starts = np.flatnonzero(np.r_[True, self._owner[1:] != self._owner[:-1]])
        if len(self._starts) != n or np.any(self._owner[self._starts] != np.arange(n)):
            empty = sorted(set(range(n)) - set(owner))
            raise ValueError(
                "FAQ 意图没有可检索的问法或答案：" + "、".join(self.intents[i].id for i in empty)
            )
        self._char = TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 2), sublinear_tf=True)
        self._docs = self._char.fit_transform(docs)
        member = sp.csr_matrix(
            (np.ones(len(owner)), (self._owner, np.arange(len(owner)))), shape=(n, len(owner))
        )
        self._centroids = l2(member @ self._docs)
        self._vocab: list[set[str]] = [set() for _ in range(n)]
        for i, toks in zip(owner, tokens, strict=True):
            self._vocab[i].update(toks)
        df: dict[str, int] = {}
        for vocab in self._vocab:
            for t in vocab:
                df[t] = df.get(t, 0) + 1
        self._idf = {t: math.log((n + 1) / (c + 0.5)) for t, c in df.items()}
        self._idf_unknown = math.log((n + 1) / 0.5)

    def _per_intent(self, per_doc: np.ndarray) -> np.ndarray:
        return np.maximum(np.maximum.reduceat(per_doc, self._starts), 0.0)

    def bm25_scores(self, toks: list[str]) -> np.ndarray:
        """BM25 (Okapi, rank-bm25's weights) of every indexed document for the words ``toks``."""
        rows = [self._bm25_terms[t] for t in toks if t in self._bm25_terms]
        if not rows:
            return np.zeros(self._bm25_matrix.shape[1])
        return np.asarray(self._bm25_matrix[rows].sum(axis=0)).ravel()

    def _coverage(self, toks: list[str]) -> np.ndarray:
        weights = {t: self._idf.get(t, self._idf_unknown) for t in toks}
        total = sum(weights.values())
        if not total:
            return np.zeros(len(self.intents))
        return np.array([sum(w for t, w in weights.items() if t in v) / total for v in self._vocab])

    def _parts(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """(score, base): the score decides; the base (the same similarity before coverage)
        orders intents the score ties — a question of only small-talk or unknown words has score
        0 everywhere, and its ranking then comes from the characters it shares with the FAQ."""
        norm = prepare(text)
        toks = _tokens(norm)
        qv = self._char.transform([norm])
        para = self._per_intent((self._docs @ qv.T).toarray().ravel())
        centroid = (self._centroids @ qv.T).toarray().ravel()
        if not toks:
            base = W_PARA * para + W_CENTROID * centroid
            return np.zeros(len(self.intents)), base
        bm = self._per_intent(self.bm25_scores(toks))
        base = W_BM25 * bm / (bm + BM25_HALF) + W_PARA * para + W_CENTROID * centroid
        return base * self._coverage(toks) ** COVERAGE_POWER, base

    def scores(self, text: str) -> np.ndarray:
        return self._parts(text)[0]

    def best(self, text: str) -> Match:
        s, base = self._parts(text)
        order = np.lexsort((-base, -s))  # by score, ties by base
        top = int(order[0])
        return Match(self.intents[top], float(s[top]), float(s[order[1]]) if len(s) > 1 else 0.0)

    def answers(self, m: Match, *, threshold: float = THRESHOLD) -> bool:
        return m.score >= threshold
