"""Point forecasters on arrays: Nixtla's statsforecast models plus our own.

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
- ``global_gbm``: one gradient-boosted tree model across all series (scikit-learn's
  histogram GBDT, the LightGBM algorithm), M5 style: every series and every past origin is a
  training row, features are the series' recent weeks, rolling means and occurrence rates and
  its last year's quantiles, all divided by the series' own RMSSE scale at that origin, and the
  target is the next ``horizon`` periods' mean on the same scale (direct, one constant per
  window). Loss: the 0.4 quantile, because the per-window RMSE rewards a level below the mean
  when demand comes in rare large orders (the quantile was picked on the validation windows).
- ``ensemble_*``: equal-weight means (or the median) of members (Kourentzes et al.: combining
  intermittent demand methods is rarely worse than the best single one chosen in hindsight).
  Members are memoised per history, so an ensemble costs nothing beyond its members.
"""

from __future__ import annotations

import hashlib
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


def _origin_scales(y: Array) -> Array:
    """``s[i, t]``: the protocol's RMSSE scale of series i on ``y[i, :t]`` (root mean squared
    one-step change from the first sale), NaN where it is 0 or undefined; shape (n, T + 1)."""
    n, periods = y.shape
    started = np.cumsum(y > 0, axis=1) > 0
    counted = np.zeros((n, periods), dtype=bool)
    counted[:, 1:] = started[:, :-1]  # the change into t counts once the series has sold
    d2 = np.zeros((n, periods))
    d2[:, 1:] = np.diff(y, axis=1) ** 2
    zero = np.zeros((n, 1))
    total = np.concatenate([zero, np.cumsum(np.where(counted, d2, 0.0), axis=1)], axis=1)
    count = np.concatenate([zero, np.cumsum(counted, axis=1)], axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        s = np.sqrt(total / count)
    return np.where(np.isfinite(s) & (s > 0), s, np.nan)


def _origin_features(y: Array, t: int, scale: Array) -> Array:
    """Features of every series at origin ``t`` (periods before t only), divided by ``scale``."""
    cols = [y[:, t - lag] / scale for lag in range(1, 9)]
    for k in (4, 8, 13, 26, 52):
        seg = y[:, max(t - k, 0) : t]
        cols += [seg.mean(axis=1) / scale, (seg > 0).mean(axis=1)]
    year = y[:, max(t - 52, 0) : t]
    cols += [np.quantile(year, q, axis=1) / scale for q in (0.5, 0.75, 1.0)]
    last = np.where(y[:, :t] > 0, np.arange(t)[None, :], -1).max(axis=1)
    cols.append(np.where(last >= 0, t - last, 99).astype(np.float64))
    return np.column_stack(cols)


def global_gbm(
    history: Array,
    horizon: int,
    *,
    quantile: float = 0.4,
    first_origin: int = 26,
    seed: int = 0,
) -> Array:
    """One gradient-boosted model over every series and past origin (see the module notes)."""
    from sklearn.ensemble import HistGradientBoostingRegressor
    from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

    y = np.asarray(history, dtype=np.float64)
    n, periods = y.shape
    scale = _origin_scales(y)
    xs, ts = [], []
    for t in range(max(first_origin, 8), periods - horizon + 1):
        ok = np.isfinite(scale[:, t])
        if ok.any():
            xs.append(_origin_features(y[ok], t, scale[ok, t]))
            ts.append(y[ok, t : t + horizon].mean(axis=1) / scale[ok, t])
    out = np.zeros((n, horizon))
    now = np.isfinite(scale[:, periods])
    if not xs or not now.any() or periods < 8:
        return out  # too little history for the model: no forecast rather than a guess
    # a few thousand rows: one thread (OpenMP's barriers cost minutes on a loaded machine)
    with threadpool_limits(limits=1, user_api="openmp"):
        model = HistGradientBoostingRegressor(
            loss="quantile",
            quantile=quantile,
            max_iter=150,
            learning_rate=0.05,
            max_leaf_nodes=15,
            min_samples_leaf=40,
            early_stopping=False,
            random_state=seed,
        ).fit(np.vstack(xs), np.concatenate(ts))
        level = model.predict(_origin_features(y[now], periods, scale[now, periods]))
    out[now] = np.maximum(level * scale[now, periods], 0.0)[:, None]
    return out


def memoised(method: Method, *, size: int = 16) -> Method:
    """The method, remembering its answers for the last ``size`` histories and horizons (so a
    member shared by the catalogue and its ensembles is fitted once per origin)."""
    seen: dict[tuple[bytes, tuple[int, ...], int], Array] = {}

    def run(history: Array, horizon: int) -> Array:
        h = np.ascontiguousarray(history, dtype=np.float64)
        key = (hashlib.blake2b(h.tobytes(), digest_size=16).digest(), h.shape, horizon)
        if key not in seen:
            if len(seen) >= size:
                del seen[next(iter(seen))]  # the oldest
            seen[key] = method(h, horizon)
        return seen[key].copy()

    return run


def ensemble(*members: Method, how: str = "mean") -> Method:
    combine = np.median if how == "median" else np.mean

    def run(history: Array, horizon: int) -> Array:
        out: Array = combine([m(history, horizon) for m in members], axis=0)
        return out

    return run


def _sf(name: str, **kw: Any) -> Callable[[], Any]:
    def make() -> Any:
        from statsforecast import models

        return getattr(models, name)(**kw)

    return make


def catalogue(season_length: int) -> dict[str, Method]:
    """The candidate methods by name (the names printed by ``omniretail forecast evaluate``)."""
    sba = memoised(_per_series(_sf("CrostonSBA")))
    adida = memoised(_per_series(_sf("ADIDA")))
    imapa = memoised(_per_series(_sf("IMAPA")))
    tsb = memoised(_per_series(_sf("TSB", alpha_d=0.1, alpha_p=0.1)))
    ets = memoised(_per_series(_sf("AutoETS", season_length=1)))
    window = memoised(window_level)
    boot = memoised(bootstrap_level)
    gbm = memoised(global_gbm)
    diverse = (sba, adida, imapa, tsb, ets, boot, gbm)
    return {
        "croston_sba": sba,
        "croston_classic": _per_series(_sf("CrostonClassic")),
        "adida": adida,
        "imapa": imapa,
        "tsb": tsb,
        "historic_average": _per_series(_sf("HistoricAverage")),
        "auto_ets": ets,
        "naive": _per_series(_sf("Naive")),
        "seasonal_naive": _per_series(_sf("SeasonalNaive", season_length=season_length)),
        "croston_sba_arrays": croston_sba_arrays,
        "window_level": window,
        "ensemble_intermittent": ensemble(sba, adida, imapa, tsb),
        "ensemble_sba_window": ensemble(sba, window),
        "bootstrap_level": boot,
        "ensemble_sba_bootstrap": ensemble(sba, boot),
        "global_gbm": gbm,
        "ensemble_mean": ensemble(*diverse),
        "ensemble_median": ensemble(*diverse, how="median"),
    }


BASELINES = ("croston_sba", "seasonal_naive")
