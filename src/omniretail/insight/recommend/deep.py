"""A two-tower neural recommender on CPU torch (双塔深度模型) — optional extra ``deep``.

The customer tower encodes the (time-decayed, normalized) bag of products the customer bought,
``u = MLP(Σ_i a_ui · e_i)``; the product tower is ``v_j = MLP'(e_j)``. Both are trained with
in-batch sampled softmax over (customer, bought product) pairs (Yi et al. 2019, "Sampling-bias-
corrected neural modeling"; Covington et al. 2016): ``L = −Σ log softmax(u·v / τ)_pos``.
Install with ``pip install 'omniretail[deep]'``; without torch the algorithm is not offered.
"""

from __future__ import annotations

import importlib.util
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.preprocessing import normalize

from omniretail.insight.recommend.base import Recommender, pad_columns, register
from omniretail.insight.recommend.interactions import Interactions


def torch_available() -> bool:
    return importlib.util.find_spec("torch") is not None


@register("two_tower")
class TwoTowerRecommender(Recommender):
    """Params: dim (64), epochs (20), batch_size (1024), lr (0.005), temperature (0.1),
    half_life_days (None), seed (42), threads (1: the machine is shared)."""

    @staticmethod
    def is_available() -> bool:
        return torch_available()

    def _fit(self, interactions: Interactions, items: pd.DataFrame | None) -> None:
        import torch  # type: ignore[import-not-found]
        from torch import nn  # type: ignore[import-not-found]

        p = self.params
        dim = int(p.get("dim", 64))
        epochs = int(p.get("epochs", 20))
        batch = int(p.get("batch_size", 1024))
        tau = float(p.get("temperature", 0.1))
        torch.manual_seed(int(p.get("seed", 42)))
        torch.set_num_threads(int(p.get("threads", 1)))
        half_life = p.get("half_life_days")
        history = pad_columns(
            interactions.decayed(None if half_life is None else float(half_life)), self.n_items
        )
        self._history: sp.csr_matrix = normalize(history, norm="l1").astype(np.float32).tocsr()
        n_items = self.n_items

        class Towers(nn.Module):  # type: ignore[misc]
            def __init__(self) -> None:
                super().__init__()
                self.items = nn.Embedding(n_items, dim)
                self.user_mlp = nn.Sequential(nn.Linear(dim, dim), nn.ReLU(), nn.Linear(dim, dim))
                self.item_mlp = nn.Sequential(nn.Linear(dim, dim), nn.ReLU(), nn.Linear(dim, dim))

            def user(self, hist: Any) -> Any:
                return nn.functional.normalize(self.user_mlp(hist @ self.items.weight), dim=-1)

            def item(self, idx: Any) -> Any:
                return nn.functional.normalize(self.item_mlp(self.items(idx)), dim=-1)

        model = Towers()
        opt = torch.optim.Adam(model.parameters(), lr=float(p.get("lr", 0.005)))
        coo = self._seen.tocoo()
        pairs_u = torch.from_numpy(coo.row.astype(np.int64))
        pairs_i = torch.from_numpy(coo.col.astype(np.int64))
        gen = torch.Generator().manual_seed(int(p.get("seed", 42)))
        hist_all = self._history
        model.train()
        for _ in range(epochs):
            perm = torch.randperm(len(pairs_u), generator=gen)
            for start in range(0, len(perm), batch):
                sel = perm[start : start + batch]
                users = pairs_u[sel].numpy()
                h = torch.from_numpy(hist_all[users].toarray())
                u = model.user(h)
                v = model.item(pairs_i[sel])
                logits = u @ v.T / tau
                # the same product twice in a batch is not a negative for itself
                same = pairs_i[sel][None, :] == pairs_i[sel][:, None]
                logits = logits.masked_fill(same & ~torch.eye(len(sel), dtype=torch.bool), -1e9)
                loss = nn.functional.cross_entropy(logits, torch.arange(len(sel)))
                opt.zero_grad()
                loss.backward()  # type: ignore[no-untyped-call]
                opt.step()
        model.eval()
        with torch.no_grad():
            self._item_vecs = model.item(torch.arange(n_items)).numpy().astype(np.float32)
            users_out = []
            for start in range(0, interactions.n_users, 2048):
                h = torch.from_numpy(hist_all[start : start + 2048].toarray())
                users_out.append(model.user(h).numpy())
            self._user_vecs = np.concatenate(users_out).astype(np.float32)

    def _scores(self, user_codes: np.ndarray) -> np.ndarray:
        return np.asarray(self._user_vecs[user_codes] @ self._item_vecs.T, dtype=np.float32)

    def _item_vectors(self) -> np.ndarray:
        return np.asarray(self._item_vecs)

    def _item_column(self, j: int) -> np.ndarray:
        return np.asarray(self._user_vecs @ self._item_vecs[j], dtype=np.float32)
