"""Popularity baseline (热销榜): every customer gets the products most customers bought."""

from __future__ import annotations

import numpy as np
import pandas as pd

from omniretail.insight.recommend.base import Recommender, register
from omniretail.insight.recommend.interactions import Interactions


@register("popularity")
class PopularityRecommender(Recommender):
    """Ranks products by the number of distinct customers, optionally time-decayed.

    ``half_life_days`` (default none) weights recent buyers more, so a bestseller of last
    year does not outrank this season's.
    """

    def _fit(self, interactions: Interactions, items: pd.DataFrame | None) -> None:
        half_life = self.params.get("half_life_days")
        if half_life is None:
            self._item_score = self._popularity.copy()
        else:
            decayed = interactions.decayed(float(half_life))
            self._item_score = np.asarray(decayed.sum(axis=0)).ravel().astype(np.float32)

    def _scores(self, user_codes: np.ndarray) -> np.ndarray:
        return np.broadcast_to(self._item_score, (len(user_codes), self.n_items)).copy()
