"""Hybrid recommender (混合推荐): a weighted blend of several algorithms.

Each member's scores are min-max scaled per customer to [0, 1] and summed with its weight,
``s_uj = Σ_m w_m · (s^m_uj − min_j s^m_u·) / (max_j s^m_u· − min_j s^m_u·)``. Collaborative
members carry customers with history; the content member also scores catalogue-only products
and new launches, so the blend keeps the cold-start ability of the content model.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from omniretail.insight.recommend.base import Recommender, create, register
from omniretail.insight.recommend.errors import ColdStartUnsupported
from omniretail.insight.recommend.interactions import Interactions

DEFAULT_MEMBERS = {"itemknn": 0.5, "als": 0.3, "content": 0.2}


def _minmax_rows(block: np.ndarray) -> np.ndarray:
    lo = block.min(axis=1, keepdims=True)
    hi = block.max(axis=1, keepdims=True)
    span = np.where(hi > lo, hi - lo, 1.0)
    return np.asarray((block - lo) / span, dtype=np.float32)


@register("hybrid")
class HybridRecommender(Recommender):
    """Params: ``members`` ({algorithm: weight}, default itemknn .5, als .3, content .2; content
    is dropped when no product attributes are given) and ``member_params`` ({algorithm: {...}})."""

    def reuse_members(self, fitted: Mapping[str, Recommender]) -> None:
        """Members already fitted on the interactions and products this hybrid will be fitted
        on (the evaluation fits each algorithm alone first): the next ``fit`` uses them instead
        of fitting them again. Every algorithm is deterministic (ALS at a fixed seed, one
        thread), so the blend is the same."""
        self._fitted_members = dict(fitted)

    def _member_weights(self, has_items: bool) -> dict[str, float]:
        members: Mapping[str, float] = self.params.get("members", DEFAULT_MEMBERS)
        out = {name: float(w) for name, w in members.items() if w > 0}
        if not has_items:
            out = {n: w for n, w in out.items() if not create(n).needs_items}
        return out

    def _item_universe(self, interactions: Interactions, items: pd.DataFrame | None) -> np.ndarray:
        self._members: dict[str, Recommender] = {}
        member_params: Mapping[str, dict[str, Any]] = self.params.get("member_params", {})
        self._weights = self._member_weights(items is not None)
        fitted = self.__dict__.pop("_fitted_members", {})
        for name in self._weights:
            params = member_params.get(name, {})
            done = fitted.get(name)
            if done is not None and done.interactions is interactions and done.params == params:
                self._members[name] = done  # fitted already on these data (an evaluation)
                continue
            self._members[name] = create(name, **params).fit(interactions, items)
        widest = max(self._members.values(), key=lambda m: m.n_items)
        return widest.item_ids

    def _fit(self, interactions: Interactions, items: pd.DataFrame | None) -> None:
        # members were fitted while choosing the item universe; their item lists are prefixes
        # of the widest one (interaction items first, catalogue-only items after)
        self._content = {n: m for n, m in self._members.items() if m.needs_items}

    def _scores(self, user_codes: np.ndarray) -> np.ndarray:
        total = np.zeros((len(user_codes), self.n_items), dtype=np.float32)
        for name, model in self._members.items():
            block = _minmax_rows(model._scores(user_codes))
            total[:, : model.n_items] += self._weights[name] * block
        return total

    def _new_item_scores(self, attributes: Mapping[str, Any]) -> np.ndarray:
        if not self._content:
            raise ColdStartUnsupported(
                "this hybrid has no content member, so it cannot score a new product",
                field="algorithm",
            )
        total = np.zeros(self.interactions.n_users, dtype=np.float32)
        for name, model in self._content.items():
            total += self._weights[name] * model._new_item_scores(attributes)
        return total
