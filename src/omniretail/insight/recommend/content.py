"""Content-based recommendations (基于内容的推荐): products described by their attributes and
their Chinese names, customers described by what they bought.

Each product becomes a bag of tokens — the words of its name (jieba 分词), category, parent
category, brand, flavour and a price band — weighted by TF-IDF and L2-normalized (``x_j``).
A customer's profile is the time-decayed sum of the products they bought,
``p_u = normalize(Σ_j a_uj · x_j)``, and the score of product j is the cosine ``p_u · x_j``.
Because only attributes are needed, a product nobody has bought yet (a new launch) can be
scored for every customer: this is the cold start of seed 004 (新品上市找到会喜欢的顾客).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

import jieba
import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize

from omniretail.insight.recommend.base import Recommender, register
from omniretail.insight.recommend.errors import ColdStartUnsupported
from omniretail.insight.recommend.interactions import Interactions

jieba.setLogLevel(60)
_WORD = re.compile(r"[\w\u4e00-\u9fff]", re.UNICODE)
_STOP = {"的", "和", "与", "of", "and", "the", "set", "a"}
ATTRIBUTE_COLUMNS = ("category_code", "parent_category_code", "brand", "flavor", "category_name")
TEXT_COLUMNS = ("name", "description", "product_name")


def _present(value: Any) -> bool:
    if value is None:
        return False
    try:
        return not bool(pd.isna(value))
    except (TypeError, ValueError):
        return True


@lru_cache(maxsize=1 << 16)
def _text_words(text: str) -> tuple[str, ...]:
    """The words of a product name or description (segmented once: the step fits the content
    model several times on the same catalogue — evaluated alone, in the hybrid, served)."""
    out = []
    for word in jieba.lcut(text.lower()):
        word = word.strip()
        if word and word not in _STOP and _WORD.search(word):
            out.append(word)
    return tuple(out)


def product_tokens(attributes: Mapping[str, Any]) -> list[str]:
    """The tokens describing one product: name words (jieba), attributes and a price band."""
    tokens: list[str] = []
    for col in TEXT_COLUMNS:
        text = attributes.get(col)
        if _present(text):
            tokens.extend(_text_words(str(text)))
    for col in ATTRIBUTE_COLUMNS:
        value = attributes.get(col)
        if _present(value):
            tokens.append(f"{col}={str(value).strip().lower()}")
    price = attributes.get("price")
    if _present(price):
        try:
            p = float(str(price))
        except ValueError:
            p = 0.0
        if p > 0:
            tokens.append(f"price_band={int(math.floor(math.log2(p)))}")
    return tokens


def _identity(tokens: list[str]) -> list[str]:
    return tokens


@register("content")
class ContentRecommender(Recommender):
    """TF-IDF over product attributes; params: ``half_life_days`` (profile decay, default 90)."""

    needs_items = True

    def _item_universe(self, interactions: Interactions, items: pd.DataFrame | None) -> np.ndarray:
        if items is None:
            return interactions.items
        extra = np.setdiff1d(items.index.to_numpy(dtype=object), interactions.items)
        return np.concatenate([interactions.items, extra.astype(object)])

    def _fit(self, interactions: Interactions, items: pd.DataFrame | None) -> None:
        if items is None:
            raise ColdStartUnsupported(
                "the content recommender needs product attributes (items with names, "
                "categories or brands)",
                field="items",
            )
        docs: list[list[str]] = []
        records: dict[str, dict[str, Any]] = {
            str(k): {str(c): v for c, v in row.items()}
            for k, row in items.to_dict(orient="index").items()
        }
        for item in self.item_ids:
            attrs = records.get(str(item))
            toks = product_tokens(attrs) if attrs else []
            docs.append(toks or [f"item={item}"])
        self._vectorizer = TfidfVectorizer(
            analyzer=_identity, sublinear_tf=True, min_df=1, dtype=np.float32
        )
        self._x: sp.csr_matrix = normalize(self._vectorizer.fit_transform(docs)).tocsr()
        half_life = self.params.get("half_life_days", 90.0)
        affinity = interactions.decayed(None if half_life is None else float(half_life))
        affinity = sp.csr_matrix(
            (affinity.data, affinity.indices, affinity.indptr),
            shape=(interactions.n_users, self.n_items),
        )
        self._profiles: sp.csr_matrix = normalize(affinity @ self._x).tocsr()
        pop = self._popularity
        self._prior = (pop / pop.max() * 1e-4 if pop.max() > 0 else pop).astype(np.float32)

    def _scores(self, user_codes: np.ndarray) -> np.ndarray:
        block = (self._profiles[user_codes] @ self._x.T).toarray().astype(np.float32)
        return np.asarray(block + self._prior, dtype=np.float32)

    def _item_vectors(self) -> sp.csr_matrix:
        return self._x

    def _item_column(self, j: int) -> np.ndarray:
        return np.asarray((self._profiles @ self._x[j].T).todense()).ravel().astype(np.float32)

    def _new_item_scores(self, attributes: Mapping[str, Any]) -> np.ndarray:
        tokens = product_tokens(attributes)
        known = [t for t in tokens if t in self._vectorizer.vocabulary_]
        if not known:
            raise ColdStartUnsupported(
                "none of the new product's attributes (name words, category, brand, flavour, "
                "price band) occur in the catalogue, so no customer can be matched",
                field="attributes",
            )
        v = normalize(self._vectorizer.transform([tokens]))
        return np.asarray((self._profiles @ v.T).todense()).ravel().astype(np.float32)
