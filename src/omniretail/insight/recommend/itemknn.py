"""Item-item collaborative filtering with time decay (基于物品的协同过滤).

Similarity between products is the cosine of their buyer vectors with a shrinkage term,
``s_ij = |U_i ∩ U_j| / (sqrt(|U_i|·|U_j|) + λ)`` (Sarwar et al. 2001), keeping the ``neighbours``
closest products of each. A customer's affinity to a product decays with the age of the
purchase, ``a_uj = Σ_e w_e · 2^(−(t_now − t_e)/h)`` (half-life h days), and the score of product
j is ``Σ_i a_ui · s_ij``: recent purchases say more about what the customer wants next.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp

from omniretail.insight.recommend.base import Recommender, pad_columns, register
from omniretail.insight.recommend.interactions import Interactions
from omniretail.insight.recommend.similarity import cooccurrence, cosine, keep_top_neighbours


@register("itemknn")
class ItemKNNRecommender(Recommender):
    """Params: ``neighbours`` (100), ``shrink`` (10), ``half_life_days`` (60; None = no decay)."""

    def _fit(self, interactions: Interactions, items: pd.DataFrame | None) -> None:
        neighbours = int(self.params.get("neighbours", 100))
        shrink = float(self.params.get("shrink", 10.0))
        half_life = self.params.get("half_life_days", 60.0)
        sim = cosine(cooccurrence(self._seen), shrink=shrink)
        # s_ij is used as "having i predicts j": keep each item's top neighbours, column-wise
        self._sim: sp.csr_matrix = keep_top_neighbours(sim, neighbours).T.tocsr()
        affinity = interactions.decayed(None if half_life is None else float(half_life))
        self._affinity: sp.csr_matrix = pad_columns(affinity, self.n_items)
        self._sim_t = self._sim.T.tocsr()

    def _scores(self, user_codes: np.ndarray) -> np.ndarray:
        block = self._affinity[user_codes] @ self._sim
        return np.asarray(block.toarray(), dtype=np.float32)

    def _item_vectors(self) -> sp.csr_matrix:
        return self._sim_t

    def _item_column(self, j: int) -> np.ndarray:
        col = self._affinity @ self._sim[:, j]
        return np.asarray(col.toarray()).ravel().astype(np.float32)
