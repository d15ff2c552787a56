"""Customer × product interactions (购买/浏览行为矩阵) in the shape every recommender consumes.

An :class:`Interactions` holds one row per event (a purchase line, a rating, a view) as integer
codes into the user and item label arrays, plus optional weights and timestamps. It builds the
sparse user × item matrices the algorithms need (summed weights, seen flags, time-decayed
affinity) once and caches them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from omniretail.insight.recommend.errors import InvalidInteractions

SECONDS_PER_DAY = 86_400.0


@dataclass
class Interactions:
    """Events as codes: ``users[user_codes[e]]`` did something with ``items[item_codes[e]]``."""

    users: np.ndarray
    items: np.ndarray
    user_codes: np.ndarray
    item_codes: np.ndarray
    weights: np.ndarray
    times: np.ndarray | None = None  # seconds since the epoch, float64
    _cache: dict[str, Any] = field(default_factory=dict, repr=False)

    # -- construction --------------------------------------------------------------------
    @classmethod
    def from_frame(
        cls,
        frame: pd.DataFrame,
        *,
        user_col: str,
        item_col: str,
        time_col: str | None = None,
        weight_col: str | None = None,
    ) -> Interactions:
        """Build from a data frame; rows with a missing user or item are refused by name."""
        for col in (user_col, item_col, time_col, weight_col):
            if col is not None and col not in frame.columns:
                raise InvalidInteractions(
                    f"column {col!r} is not in the interactions (columns: {list(frame.columns)})",
                    field=col,
                )
        if frame.empty:
            raise InvalidInteractions("the interactions are empty", field=user_col)
        missing = frame[user_col].isna() | frame[item_col].isna()
        if bool(missing.any()):
            raise InvalidInteractions(
                f"{int(missing.sum())} interaction rows have no {user_col!r} or {item_col!r}; "
                "drop or fix them first",
                field=user_col if bool(frame[user_col].isna().any()) else item_col,
            )
        u_codes, users = pd.factorize(frame[user_col].astype(str), sort=True)
        i_codes, items = pd.factorize(frame[item_col].astype(str), sort=True)
        if weight_col is not None:
            weights = pd.to_numeric(frame[weight_col], errors="coerce").to_numpy(np.float32)
            if bool(np.isnan(weights).any()):
                raise InvalidInteractions(
                    f"column {weight_col!r} has values that are not numbers", field=weight_col
                )
        else:
            weights = np.ones(len(frame), dtype=np.float32)
        times = None
        if time_col is not None:
            times = to_epoch_seconds(frame[time_col], field=time_col)
        # the events in one canonical order (user, item, time, weight), whatever order the rows
        # came in (an analytics engine gives none without ORDER BY, and Spark's differs from
        # DuckDB's): the float32 sums of the matrices below, and every score and tie built on
        # them, are then the same bits for the same events
        keys = [weights, i_codes, u_codes] if times is None else [weights, times, i_codes, u_codes]
        order = np.lexsort(keys)
        return cls(
            users=np.asarray(users, dtype=object),
            items=np.asarray(items, dtype=object),
            user_codes=u_codes[order].astype(np.int32),
            item_codes=i_codes[order].astype(np.int32),
            weights=weights[order],
            times=None if times is None else times[order],
        )

    def subset(self, mask: np.ndarray) -> Interactions:
        """The events selected by a boolean mask; label arrays are kept, so codes stay valid."""
        return Interactions(
            users=self.users,
            items=self.items,
            user_codes=self.user_codes[mask],
            item_codes=self.item_codes[mask],
            weights=self.weights[mask],
            times=None if self.times is None else self.times[mask],
        )

    def to_frame(self) -> pd.DataFrame:
        out = pd.DataFrame(
            {
                "user_id": self.users[self.user_codes],
                "item_id": self.items[self.item_codes],
                "weight": self.weights,
            }
        )
        if self.times is not None:
            out["time"] = self.times
        return out

    # -- shape and lookups ----------------------------------------------------------------
    @property
    def n_users(self) -> int:
        return len(self.users)

    @property
    def n_items(self) -> int:
        return len(self.items)

    def __len__(self) -> int:
        return len(self.user_codes)

    @cached_property
    def user_index(self) -> dict[str, int]:
        return {str(u): i for i, u in enumerate(self.users)}

    @cached_property
    def item_index(self) -> dict[str, int]:
        return {str(v): i for i, v in enumerate(self.items)}

    @property
    def reference_time(self) -> float:
        """The latest event time ("now" for time decay); 0 when there are no timestamps."""
        if self.times is None or len(self.times) == 0:
            return 0.0
        return float(np.max(self.times))

    # -- matrices --------------------------------------------------------------------------
    def _coo(self, values: np.ndarray) -> sp.csr_matrix:
        m = sp.csr_matrix(
            (values.astype(np.float32), (self.user_codes, self.item_codes)),
            shape=(self.n_users, self.n_items),
        )
        m.sum_duplicates()
        return m

    @cached_property
    def matrix(self) -> sp.csr_matrix:
        """User × item, summed weights."""
        return self._coo(self.weights)

    @cached_property
    def seen(self) -> sp.csr_matrix:
        """User × item, 1 where the user has any event with the item."""
        m = self.matrix.copy()
        m.data = np.ones_like(m.data)
        return m

    def decayed(self, half_life_days: float | None, now: float | None = None) -> sp.csr_matrix:
        """User × item affinity: Σ weight · 2^(-(now - t) / half_life) (SAR's time decay)."""
        if half_life_days is None or self.times is None:
            return self.matrix
        key = f"decayed:{half_life_days}:{now}"
        if key not in self._cache:
            ref = self.reference_time if now is None else now
            age = np.maximum(ref - self.times, 0.0) / (half_life_days * SECONDS_PER_DAY)
            self._cache[key] = self._coo(self.weights * np.power(2.0, -age))
        cached: sp.csr_matrix = self._cache[key]
        return cached

    def last_time(self) -> sp.csr_matrix:
        """User × item, the latest event time (seconds) — for "bought recently" filters."""
        if self.times is None:
            raise InvalidInteractions("the interactions have no timestamps", field="time")
        frame = pd.DataFrame({"u": self.user_codes, "i": self.item_codes, "t": self.times})
        last = frame.groupby(["u", "i"], sort=False)["t"].max()
        idx = last.index
        return sp.csr_matrix(
            (
                last.to_numpy(np.float64),
                (idx.get_level_values(0).to_numpy(), idx.get_level_values(1).to_numpy()),
            ),
            shape=(self.n_users, self.n_items),
        )


def to_epoch_seconds(values: pd.Series, *, field: str) -> np.ndarray:
    """Timestamps (datetimes, dates, ISO strings or epoch numbers) as float seconds."""
    if pd.api.types.is_numeric_dtype(values):
        out = pd.to_numeric(values, errors="coerce").to_numpy(np.float64)
    else:
        parsed = pd.to_datetime(values, errors="coerce")
        if getattr(parsed.dt, "tz", None) is not None:
            parsed = parsed.dt.tz_convert(None)
        out = (parsed - pd.Timestamp("1970-01-01")).dt.total_seconds().to_numpy(np.float64)
    if bool(np.isnan(out).any()):
        bad = values[np.isnan(out)].head(3).tolist()
        raise InvalidInteractions(
            f"column {field!r} has values that are not times, e.g. {bad}", field=field
        )
    return out
