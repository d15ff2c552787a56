"""Train/test splits for offline evaluation.

- ``stratified_split`` (``--split random``): Microsoft Recommenders' ``python_stratified_split``
  — for each customer, shuffle their interactions and put ``round((1 − test_ratio)·n_u)`` of
  them in training; customers keep a share of history in both halves.
- ``time_split`` (``--split time``): one global cutoff at the ``1 − test_ratio`` quantile of
  the event times; everything before trains, everything after tests (how a retailer deploys).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from omniretail.insight.recommend.errors import InvalidInteractions


def stratified_split(
    frame: pd.DataFrame, *, user_col: str, test_ratio: float = 0.25, seed: int = 42
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per-customer random split; returns (train, test)."""
    _check_ratio(test_ratio)
    rng = np.random.default_rng(seed)
    work = frame.reset_index(drop=True)
    key = rng.random(len(work))
    order = np.lexsort((key, work[user_col].astype(str).to_numpy()))
    users = work[user_col].astype(str).to_numpy()[order]
    # position of each row within its customer's shuffled list
    starts = np.r_[0, np.flatnonzero(users[1:] != users[:-1]) + 1]
    sizes = np.diff(np.r_[starts, len(users)])
    pos = np.arange(len(users)) - np.repeat(starts, sizes)
    n_train = np.repeat(np.round(sizes * (1.0 - test_ratio)), sizes)
    is_train = np.empty(len(work), dtype=bool)
    is_train[order] = pos < n_train
    return work[is_train].copy(), work[~is_train].copy()


def time_split(
    frame: pd.DataFrame, *, time_col: str, test_ratio: float = 0.25
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Global temporal cutoff; returns (train, test)."""
    _check_ratio(test_ratio)
    from omniretail.insight.recommend.interactions import to_epoch_seconds

    t = to_epoch_seconds(frame[time_col], field=time_col)
    cutoff = np.quantile(t, 1.0 - test_ratio)
    train = t < cutoff
    if train.all() or not train.any():
        raise InvalidInteractions(
            "the time split left one side empty; the events need more than one distinct time",
            field=time_col,
        )
    return frame[train].copy(), frame[~train].copy()


def _check_ratio(test_ratio: float) -> None:
    if not 0.0 < test_ratio < 1.0:
        raise InvalidInteractions("--test-ratio must be between 0 and 1", field="test_ratio")
