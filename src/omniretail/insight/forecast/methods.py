"""Point forecasters on arrays: Nixtla's statsforecast models plus three of ours.

Every method takes the training history of many series as one 2-D array (series × periods,
aligned on the same calendar, missing periods as 0) and returns a (series × horizon) array of
mean forecasts. The statsforecast models are called per series on NumPy arrays (their
``forecast`` method), never through the pandas front end, so the pipeline and the benchmark pay
no DataFrame cost.

Ours:
- ``window_level``: the constant forecast that minimises the mean, over every past window of
  ``horizon`` periods in the last year, of that window's root mean squared error — the loss the
  evaluation protocol averages (RMSSE per window). It is convex in the constant, so a bounded
  scalar search finds it exactly. It sits below the mean when demand comes in rare large orders.
- ``bootstrap_level``: the same loss, with the windows made of weeks drawn independently
  (with replacement, zeros included) from the last year instead of the year's overlapping
  windows: a year holds only about six independent 8-week windows, so in ``window_level`` one
  large order decides much of the level; resampled weeks weigh it by how often such weeks
  occur. Common random numbers (one seeded draw for all series) keep it deterministic.
- ``ensemble_*``: equal-weight means of members (Kourentzes et al.: combining intermittent
  demand methods is rarely worse than the best single one chosen in hindsight).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.float64]
Method = Callable[[Array, int], Array]


def trim_leading_zeros(y: Array) -> Array:
    """The series from its first non-zero period (all of it when it is all zeros)."""
    nz = np.flatnonzero(y)
    return y[nz[0] :] if len(nz) else y


def _per_series(make: Callable[[], Any], *, trim: bool = False) -> Method:
    def run(history: Array, horizon: int) -> Array:
        out = np.zeros((history.shape[0], horizon))
        for i, y in enumerate(history):
            yy = trim_leading_zeros(y) if trim else y
            if len(yy) < 2 or not np.any(yy):
                continue  # nothing sold yet: forecast 0
            fc = make().forecast(y=yy.astype(np.float64), h=horizon)["mean"]
            out[i] = np.nan_to_num(np.asarray(fc, dtype=np.float64), nan=0.0)
        return np.maximum(out, 0.0)

    return run


def window_level(history: Array, horizon: int, *, lookback: int = 52) -> Array:
    """Constant forecast minimising the mean RMSE over past ``horizon``-long windows."""
    from scipy.optimize import minimize_scalar

    out = np.zeros((history.shape[0], horizon))
    for i, y in enumerate(history):
        yy = trim_leading_zeros(y)[-lookback:]
        if not np.any(yy):
            continue
        if len(yy) <= horizon:
            out[i] = yy.mean()
            continue
        windows = np.lib.stride_tricks.sliding_window_view(yy, horizon)

        def loss(c: float, w: Array = windows) -> float:
            return float(np.sqrt(((w - c) ** 2).mean(axis=1)).mean())

        res = minimize_scalar(loss, bounds=(0.0, float(yy.max())), method="bounded")
        out[i] = float(res.x)
    return out


def bootstrap_level(
    history: Array, horizon: int, *, lookback: int = 52, draws: int = 4000, seed: int = 0
) -> Array:
    """Constant forecast minimising the mean RMSE over ``draws`` horizon-long windows of weeks
    resampled from the last ``lookback`` periods (from the first sale)."""
    from scipy.optimize import minimize_scalar

    u = np.random.default_rng(seed).random((draws, horizon))  # the same draws for every series
    out = np.zeros((history.shape[0], horizon))
    for i, y in enumerate(history):
        yy = trim_leading_zeros(y)[-lookback:]
        if not np.any(yy):
            continue
        sims = yy[(u * len(yy)).astype(np.int64)]

        def loss(c: float, w: Array = sims) -> float:
            return float(np.sqrt(((w - c) ** 2).mean(axis=1)).mean())

        res = minimize_scalar(loss, bounds=(0.0, float(yy.max())), method="bounded")
        out[i] = float(res.x)
    return out


def croston_sba_arrays(history: Array, horizon: int, *, alpha: float = 0.1) -> Array:
    """statsforecast's CrostonSBA, the same recursion run across all series at once.

    Per series: simple exponential smoothing (α = 0.1, started at the first value) of the
    non-zero demand sizes and of the intervals between them (the first counted from the
    start), forecast = 0.95 × size level / interval level; 0 for a series that never sold.
    ``tests/insight/forecast/test_methods.py`` checks it equals statsforecast's per series.
    """
    y = np.asarray(history, dtype=np.float64)
    n, periods = y.shape
    size = np.zeros(n)
    gap = np.zeros(n)
    seen = np.zeros(n, dtype=bool)
    last = np.full(n, -1.0)
    for t in range(periods):
        sold = y[:, t] > 0
        if not sold.any():
            continue
        first = sold & ~seen
        again = sold & seen
        interval = t - last
        size[first] = y[first, t]
        gap[first] = interval[first]
        size[again] = alpha * y[again, t] + (1 - alpha) * size[again]
        gap[again] = alpha * interval[again] + (1 - alpha) * gap[again]
        seen |= sold
        last[sold] = t
    mean = np.where(seen, 0.95 * size / np.where(gap > 0, gap, 1.0), 0.0)
    return np.repeat(mean[:, None], horizon, axis=1)


def ensemble(*members: Method) -> Method:
    def run(history: Array, horizon: int) -> Array:
        out: Array = np.mean([m(history, horizon) for m in members], axis=0)
        return out

    return run


def _sf(name: str, **kw: Any) -> Callable[[], Any]:
    def make() -> Any:
        from statsforecast import models

        return getattr(models, name)(**kw)

    return make


def catalogue(season_length: int) -> dict[str, Method]:
    """The candidate methods by name (the names printed by ``omniretail forecast evaluate``)."""
    sba = _per_series(_sf("CrostonSBA"))
    adida = _per_series(_sf("ADIDA"))
    imapa = _per_series(_sf("IMAPA"))
    tsb = _per_series(_sf("TSB", alpha_d=0.1, alpha_p=0.1))
    return {
        "croston_sba": sba,
        "croston_classic": _per_series(_sf("CrostonClassic")),
        "adida": adida,
        "imapa": imapa,
        "tsb": tsb,
        "historic_average": _per_series(_sf("HistoricAverage")),
        "auto_ets": _per_series(_sf("AutoETS", season_length=1)),
        "naive": _per_series(_sf("Naive")),
        "seasonal_naive": _per_series(_sf("SeasonalNaive", season_length=season_length)),
        "croston_sba_arrays": croston_sba_arrays,
        "window_level": window_level,
        "ensemble_intermittent": ensemble(sba, adida, imapa, tsb),
        "ensemble_sba_window": ensemble(sba, window_level),
        "bootstrap_level": bootstrap_level,
        "ensemble_sba_bootstrap": ensemble(sba, bootstrap_level),
    }


BASELINES = ("croston_sba", "seasonal_naive")
