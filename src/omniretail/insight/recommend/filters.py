"""Business rules on recommendations (业务过滤规则).

:class:`BusinessRules` decides, for each customer and product, whether the product may be shown:

- only active products, and where a store assortment table is given, only products available
  at the customer's preferred store (customers who shop online, or whose store has no
  assortment on file, see every active product);
- not bought recently: a product the customer bought within ``recent_days`` is hidden, unless it
  is replenishable (``dim_product.replenish_days``) and due again — bought at least
  ``replenish_days`` ago (坚果 every ~30 days);
- excluded categories (by ``category_code`` or ``parent_category_code``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.sparse as sp

from omniretail.insight.recommend.base import catalog_frame
from omniretail.insight.recommend.interactions import SECONDS_PER_DAY, Interactions


@dataclass
class BusinessRules:
    """Build with :meth:`build`; then ``allowed(user_ids, item_ids)`` gives a boolean matrix."""

    item_active: dict[str, bool]
    item_category: dict[str, set[str]]
    replenish_days: dict[str, float]
    excluded_categories: set[str]
    store_assortment: dict[str, set[str]]
    preferred_store: dict[str, str]
    last_bought: sp.csr_matrix | None
    user_index: dict[str, int]
    history_item_index: dict[str, int]
    now: float
    recent_days: float
    _item_cache: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = field(
        default_factory=dict, repr=False
    )
    _carried_cache: dict[tuple[int, str], np.ndarray] = field(default_factory=dict, repr=False)

    @classmethod
    def build(
        cls,
        *,
        products: pd.DataFrame | None = None,
        history: Interactions | None = None,
        excluded_categories: Iterable[str] = (),
        assortment: pd.DataFrame | None = None,
        preferred_store: Mapping[str, str] | None = None,
        recent_days: float = 90.0,
        now: float | None = None,
    ) -> BusinessRules:
        """``products``: dim_product (sku, category_code, parent_category_code, replenish_days,
        optional ``is_active``); ``history``: the purchases (with times) for the recency rule;
        ``assortment``: rows (store_code, sku) of what each store carries; ``preferred_store``:
        customer id → store code."""
        catalog = catalog_frame(products)
        active: dict[str, bool] = {}
        category: dict[str, set[str]] = {}
        replenish: dict[str, float] = {}
        if catalog is not None:
            flags = (
                catalog["is_active"].fillna(True).astype(bool)
                if "is_active" in catalog.columns
                else pd.Series(True, index=catalog.index)
            )
            active = {str(k): bool(v) for k, v in flags.items()}
            for col in ("category_code", "parent_category_code"):
                if col in catalog.columns:
                    for sku, code in catalog[col].dropna().items():
                        category.setdefault(str(sku), set()).add(str(code))
            if "replenish_days" in catalog.columns:
                days = pd.to_numeric(catalog["replenish_days"], errors="coerce").dropna()
                replenish = {str(k): float(v) for k, v in days.items() if v > 0}
        stores: dict[str, set[str]] = {}
        if assortment is not None and not assortment.empty:
            for store, group in assortment.groupby(assortment["store_code"].astype(str)):
                stores[str(store)] = set(group["sku"].astype(str))
        last = None
        ref = 0.0
        users: dict[str, int] = {}
        hist_items: dict[str, int] = {}
        if history is not None and history.times is not None:
            last = history.last_time()
            ref = history.reference_time
            users = history.user_index
            hist_items = history.item_index
        return cls(
            item_active=active,
            item_category=category,
            replenish_days=replenish,
            excluded_categories={str(c) for c in excluded_categories},
            store_assortment=stores,
            preferred_store={str(k): str(v) for k, v in (preferred_store or {}).items()},
            last_bought=last,
            user_index=users,
            history_item_index=hist_items,
            now=ref if now is None else now,
            recent_days=recent_days,
        )

    def _items(self, item_ids: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        key = id(item_ids)
        if key not in self._item_cache:
            ids = [str(i) for i in item_ids]
            base = np.array(
                [
                    self.item_active.get(i, not self.item_active)
                    and not (self.item_category.get(i, set()) & self.excluded_categories)
                    for i in ids
                ],
                dtype=bool,
            )
            window = np.array(
                [self.replenish_days.get(i, self.recent_days) for i in ids], dtype=np.float64
            )
            hist_pos = np.array([self.history_item_index.get(i, -1) for i in ids], dtype=np.int64)
            self._item_cache[key] = (base, window * SECONDS_PER_DAY, hist_pos, np.asarray(ids))
        return self._item_cache[key]

    def _carried(self, store: str, item_ids: np.ndarray, ids: np.ndarray) -> np.ndarray | None:
        """Which of ``item_ids`` the store carries (None: no assortment on file), once per
        store and item list rather than once per customer."""
        if store not in self.store_assortment:
            return None
        key = (id(item_ids), store)
        if key not in self._carried_cache:
            carried = self.store_assortment[store]
            self._carried_cache[key] = np.fromiter((i in carried for i in ids), bool, len(ids))
        return self._carried_cache[key]

    def allowed(self, user_ids: Sequence[str], item_ids: np.ndarray) -> np.ndarray:
        base, window, hist_pos, ids = self._items(item_ids)
        out = np.broadcast_to(base, (len(user_ids), len(base))).copy()
        if self.store_assortment:
            for row, user in enumerate(user_ids):
                carried = self._carried(self.preferred_store.get(str(user), ""), item_ids, ids)
                if carried is not None:
                    out[row] &= carried
        if self.last_bought is not None:
            codes = np.array([self.user_index.get(str(u), -1) for u in user_ids])
            known = np.flatnonzero(codes >= 0)
            if known.size:
                block = self.last_bought[codes[known]].tocoo()
                # history item position -> model item position
                to_model = np.full(self.last_bought.shape[1], -1, dtype=np.int64)
                valid = hist_pos >= 0
                to_model[hist_pos[valid]] = np.flatnonzero(valid)
                cols = to_model[block.col]
                keep = cols >= 0
                rows, cols, times = known[block.row[keep]], cols[keep], block.data[keep]
                recent = (self.now - times) < window[cols]
                out[rows[recent], cols[recent]] = False
        return out
