"""The recommender interface (推荐算法接口) and its registry.

Every algorithm is a small class registered by name with :func:`register`. It implements two
methods — ``_fit`` and ``_scores`` (a dense users × items score block) — and inherits the public
contract, which one shared test mixin checks for every algorithm (as in the ``implicit`` library):

- ``fit(interactions, items=None) -> self``
- ``recommend(user_ids, k, *, exclude_seen=True, candidates=None)`` → top-k per customer
- ``similar_items(item_id, k)`` → the k most similar products
- ``score_users_for_item(item_id | attributes=..., n, among=None)`` → the n customers most
  likely to like a product, optionally among given customers (a new SKU with no history needs
  an algorithm that reads item attributes)

Customers unknown to the model get the popularity ranking (cold-start customers).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from typing import Any, ClassVar, Protocol, Self, TypeVar

import numpy as np
import pandas as pd
import scipy.sparse as sp

from omniretail.insight.recommend.errors import (
    ColdStartUnsupported,
    NotFitted,
    UnknownAlgorithm,
    UnknownItem,
)
from omniretail.insight.recommend.interactions import Interactions

BATCH_USERS = 512


class CandidateFilter(Protocol):
    """Business rules: which products may be shown to which customers."""

    def allowed(self, user_ids: Sequence[str], item_ids: np.ndarray) -> np.ndarray:
        """A boolean matrix (len(user_ids) × len(item_ids)); False removes the product."""
        ...


def catalog_frame(items: pd.DataFrame | None) -> pd.DataFrame | None:
    """Normalize a product table (``dim_product`` or any frame with ``sku``/``item_id``)."""
    if items is None:
        return None
    key = "item_id" if "item_id" in items.columns else "sku" if "sku" in items.columns else None
    if key is None:
        raise UnknownItem("the item table needs an 'item_id' or 'sku' column", field="items")
    frame = items.copy()
    frame.index = frame[key].astype(str)
    frame.index.name = "item_id"
    return frame[~frame.index.duplicated(keep="last")]


def pad_columns(m: sp.csr_matrix, n_cols: int) -> sp.csr_matrix:
    """Widen a sparse matrix with empty columns (items known only from the catalogue)."""
    if m.shape[1] == n_cols:
        return m
    return sp.csr_matrix((m.data, m.indices, m.indptr), shape=(m.shape[0], n_cols))


def top_k(scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices and values of the k best finite scores per row, best first (-1 = none)."""
    n, m = scores.shape
    k_eff = min(k, m)
    if k_eff == 0:
        return np.full((n, k), -1, dtype=np.int64), np.full((n, k), -np.inf, dtype=np.float32)
    part = np.argpartition(-scores, k_eff - 1, axis=1)[:, :k_eff]
    vals = np.take_along_axis(scores, part, axis=1)
    order = np.lexsort((part, -vals), axis=1)  # equal scores: the lower item index first
    idx = np.take_along_axis(part, order, axis=1)
    vals = np.take_along_axis(vals, order, axis=1)
    idx = np.where(np.isfinite(vals), idx, -1)
    if k_eff < k:
        idx = np.pad(idx, ((0, 0), (0, k - k_eff)), constant_values=-1)
        vals = np.pad(vals, ((0, 0), (0, k - k_eff)), constant_values=-np.inf)
    return idx, vals.astype(np.float32)


def normalize_rows(x: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return np.asarray(x / np.where(norms > 0, norms, 1.0), dtype=np.float32)


def sorted_positions(values: np.ndarray) -> np.ndarray:
    """Each value's place in the sorted order of ``values`` (ties in their given order): lets
    output rows be ordered by a string key through its few distinct values, not a row sort."""
    position = np.empty(len(values), dtype=np.int64)
    position[np.argsort(values, kind="stable")] = np.arange(len(values))
    return position


class Recommender(ABC):
    """Base class: subclasses implement ``_fit`` and ``_scores``; see the module docstring."""

    name: ClassVar[str] = ""
    needs_items: ClassVar[bool] = False  # reads item attributes (content-based)
    params: dict[str, Any]

    def __init__(self, **params: Any) -> None:
        self.params = params
        self._fitted = False

    # -- what subclasses implement ---------------------------------------------------------
    @abstractmethod
    def _fit(self, interactions: Interactions, items: pd.DataFrame | None) -> None:
        """Learn from the interactions (and item attributes when the algorithm uses them)."""

    @abstractmethod
    def _scores(self, user_codes: np.ndarray) -> np.ndarray:
        """Scores (len(user_codes) × n_items, float32) for known customers; higher is better."""

    def _item_vectors(self) -> np.ndarray | sp.csr_matrix:
        """Rows describing each item for ``similar_items``; default: who bought it (item CF)."""
        cols: sp.csr_matrix = self._seen.T.tocsr().astype(np.float32)
        return cols

    def _new_item_scores(self, attributes: Mapping[str, Any]) -> np.ndarray:
        raise ColdStartUnsupported(
            f"the {self.name!r} recommender cannot score a product with no history; "
            "use 'content' or 'hybrid' (they read product attributes)",
            field="algorithm",
        )

    def _item_universe(self, interactions: Interactions, items: pd.DataFrame | None) -> np.ndarray:
        """The products this model can recommend; content models add catalogue-only SKUs."""
        return interactions.items

    # -- the public contract ----------------------------------------------------------------
    def fit(self, interactions: Interactions, items: pd.DataFrame | None = None) -> Self:
        catalog = catalog_frame(items)
        self.interactions = interactions
        self.item_ids: np.ndarray = np.asarray(
            self._item_universe(interactions, catalog), dtype=object
        )
        self.item_index: dict[str, int] = {str(v): j for j, v in enumerate(self.item_ids)}
        self.user_index: dict[str, int] = interactions.user_index
        self._seen: sp.csr_matrix = pad_columns(interactions.seen, len(self.item_ids))
        self._popularity = np.asarray(self._seen.sum(axis=0)).ravel().astype(np.float32)
        self._fit(interactions, catalog)
        self._fitted = True
        return self

    def _check_fitted(self) -> None:
        if not self._fitted:
            raise NotFitted(f"call fit() on the {self.name!r} recommender first", field="model")

    @property
    def n_items(self) -> int:
        return len(self.item_ids)

    def rank_codes(
        self,
        user_codes: np.ndarray,
        k: int,
        *,
        exclude_seen: bool = True,
        mask: Callable[[slice], np.ndarray] | None = None,
        on_scores: Callable[[np.ndarray, np.ndarray], None] | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Top-k item positions and scores for user codes (-1 = unknown customer → popular).

        ``mask(rows)`` gets the slice of ``user_codes`` being ranked and returns which items
        are allowed for them (a boolean matrix). ``on_scores(codes, scores)`` sees every
        block of known customers' raw scores (before seen items and the mask are removed), so
        a caller that needs them for something else does not score every customer again."""
        self._check_fitted()
        user_codes = np.asarray(user_codes, dtype=np.int64)
        out_idx = np.full((len(user_codes), k), -1, dtype=np.int64)
        out_val = np.full((len(user_codes), k), -np.inf, dtype=np.float32)
        for start in range(0, len(user_codes), BATCH_USERS):
            codes = user_codes[start : start + BATCH_USERS]
            known = codes >= 0
            block = np.empty((len(codes), self.n_items), dtype=np.float32)
            if known.any():
                scores = self._scores(codes[known])
                if on_scores is not None:
                    on_scores(codes[known], scores)
                block[known] = scores
            if (~known).any():
                block[~known] = self._popularity
            if exclude_seen and known.any():
                seen = self._seen[codes[known]]
                owner = np.repeat(np.arange(seen.shape[0]), np.diff(seen.indptr))
                block[np.flatnonzero(known)[owner], seen.indices] = -np.inf
            if mask is not None:
                block[~mask(slice(start, start + len(codes)))] = -np.inf
            idx, val = top_k(block, k)
            out_idx[start : start + len(codes)] = idx
            out_val[start : start + len(codes)] = val
        return out_idx, out_val

    def recommend(
        self,
        user_ids: Iterable[str],
        k: int = 10,
        *,
        exclude_seen: bool = True,
        candidates: CandidateFilter | None = None,
        on_scores: Callable[[np.ndarray, np.ndarray], None] | None = None,
        by_user_id: bool = False,
    ) -> pd.DataFrame:
        """Top-k products per customer: columns ``user_id, item_id, score, rank`` (rank from 1),
        in the order of ``user_ids``, or with ``by_user_id`` sorted by user id (then rank) —
        the customers are ordered once, not the rows (a sort of millions of string rows).
        ``on_scores``: see :meth:`rank_codes`."""
        self._check_fitted()
        users = [str(u) for u in user_ids]
        codes = np.array([self.user_index.get(u, -1) for u in users], dtype=np.int64)
        mask = None
        if candidates is not None:
            rule = candidates

            def mask(rows: slice) -> np.ndarray:
                return rule.allowed(users[rows], self.item_ids)

        idx, val = self.rank_codes(
            codes, k, exclude_seen=exclude_seen, mask=mask, on_scores=on_scores
        )
        rows, ranks = np.nonzero(idx >= 0)
        if by_user_id:
            order = np.lexsort((ranks, sorted_positions(np.asarray(users, dtype=object))[rows]))
            rows, ranks = rows[order], ranks[order]
        return pd.DataFrame(
            {
                "user_id": np.asarray(users, dtype=object)[rows],
                "item_id": self.item_ids[idx[rows, ranks]],
                "score": val[rows, ranks].astype(np.float64),
                "rank": (ranks + 1).astype(np.int64),
            }
        )

    def similar_items(self, item_id: str, k: int = 10) -> pd.DataFrame:
        """The k products most similar to ``item_id`` (cosine), without the product itself."""
        self._check_fitted()
        j = self._require_item(item_id)
        vectors = self._item_vectors()
        if sp.issparse(vectors):
            v = sp.csr_matrix(vectors)
            norms = np.sqrt(np.asarray(v.multiply(v).sum(axis=1)).ravel())
            sims = np.asarray((v @ v[j].T).todense()).ravel()
        else:
            dense = np.asarray(vectors, dtype=np.float32)
            norms = np.linalg.norm(dense, axis=1)
            sims = dense @ dense[j]
        denom = norms * (norms[j] if norms[j] > 0 else 1.0)
        sims = np.where(denom > 0, sims / np.where(denom > 0, denom, 1.0), 0.0).astype(np.float32)
        sims[j] = -np.inf
        idx, val = top_k(sims[None, :], k)
        keep = idx[0] >= 0
        return pd.DataFrame(
            {"item_id": self.item_ids[idx[0][keep]], "score": val[0][keep].astype(np.float64)}
        )

    def score_users_for_item(
        self,
        item_id: str | None = None,
        *,
        attributes: Mapping[str, Any] | None = None,
        n: int = 100,
        exclude_owners: bool = True,
        among: Collection[str] | None = None,
    ) -> pd.DataFrame:
        """The n customers most likely to like a product: a known SKU by id, or a new one by
        its attributes (name, category_code, brand, flavor, price...). Columns ``user_id, score``.

        ``among`` limits the answer to these customers (e.g. those of a store manager's stores).
        """
        self._check_fitted()
        if (item_id is None) == (attributes is None):
            raise UnknownItem(
                "give either an item id or the attributes of a new item", field="item"
            )
        if among is None:
            codes = np.arange(self.interactions.n_users)
        else:
            index = self.user_index
            codes = np.unique(np.fromiter((index.get(str(u), -1) for u in among), dtype=np.int64))
            codes = codes[codes >= 0]
        owners = np.zeros(len(codes), dtype=bool)
        if attributes is not None:
            scores = np.asarray(self._new_item_scores(attributes), dtype=np.float32)[codes]
        else:
            j = self._require_item(str(item_id))
            scores = self._item_column(j)[codes]
            owners = np.asarray(self._seen[codes, j].todense()).ravel() > 0
        scores = scores.copy()
        if exclude_owners:
            scores[owners] = -np.inf
        idx, val = top_k(scores[None, :], n)
        keep = idx[0] >= 0
        return pd.DataFrame(
            {
                "user_id": self.interactions.users[codes[idx[0][keep]]],
                "score": val[0][keep].astype(np.float64),
            }
        )

    def _item_column(self, j: int) -> np.ndarray:
        """Every known customer's score for item position j."""
        col = np.empty(self.interactions.n_users, dtype=np.float32)
        for start in range(0, self.interactions.n_users, BATCH_USERS):
            codes = np.arange(start, min(start + BATCH_USERS, self.interactions.n_users))
            col[codes] = self._scores(codes)[:, j]
        return col

    def _require_item(self, item_id: str) -> int:
        j = self.item_index.get(str(item_id))
        if j is None:
            raise UnknownItem(f"product {item_id!r} is not known to the model", field="item_id")
        return j


_R = TypeVar("_R", bound=type[Recommender])
_REGISTRY: dict[str, type[Recommender]] = {}
_ALGORITHM_MODULES = (
    "popularity",
    "content",
    "itemknn",
    "sar",
    "ease",
    "factorization",
    "hybrid",
    "deep",
)


def register(name: str) -> Callable[[_R], _R]:
    """Class decorator: make a recommender available by name."""

    def deco(cls: _R) -> _R:
        cls.name = name
        _REGISTRY[name] = cls
        return cls

    return deco


def _load_all() -> None:
    import importlib

    for mod in _ALGORITHM_MODULES:
        importlib.import_module(f"omniretail.insight.recommend.{mod}")


def available() -> list[str]:
    """Names of the registered recommenders (the deep model only when torch is installed)."""
    _load_all()
    return sorted(n for n, cls in _REGISTRY.items() if getattr(cls, "is_available", lambda: True)())


def create(name: str, **params: Any) -> Recommender:
    """A new, unfitted recommender by registered name."""
    _load_all()
    cls = _REGISTRY.get(name)
    if cls is None or not getattr(cls, "is_available", lambda: True)():
        raise UnknownAlgorithm(
            f"unknown recommender {name!r}; choose from {', '.join(available())}",
            field="algorithm",
        )
    return cls(**params)
