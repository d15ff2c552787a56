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
    history: Array,
    horizon: int,
    *,
    lookback: int = 52,
    draws: int = 4000,
    seed: int = 0,
    chunk: int = 512,
) -> Array:
    """Constant forecast minimising the mean RMSE over ``draws`` horizon-long windows of weeks
    resampled from the last ``lookback`` periods (from the first sale).

    Per series this is scipy's bounded Brent search (``minimize_scalar(method="bounded")`` on
    ``[0, max]``) of that loss; here it runs across all series at once. The loss needs only
    each drawn window's mean ``m`` and variance ``v`` (its RMSE at ``c`` is
    ``sqrt(v + (m - c)²)``), and those are two matrix products of the series with the draws'
    count matrix, which depends only on the series' length. Identical series are solved once.
    ``tests/insight/forecast/test_methods.py`` checks it against the per-series search.
    """
    u = np.random.default_rng(seed).random((draws, horizon))  # the same draws for every series
    y = np.asarray(history, dtype=np.float64)
    n, periods = y.shape
    out = np.zeros((n, horizon))
    if n == 0 or periods == 0:
        return out
    sold = y != 0
    first = np.where(sold.any(axis=1), sold.argmax(axis=1), periods)
    start = np.maximum(
        first, periods - lookback
    )  # the last ``lookback`` periods from the first sale
    width = min(lookback, periods)
    recent = y[:, periods - width :].copy()
    recent[np.arange(width)[None, :] < (start - (periods - width))[:, None]] = 0.0
    live = np.flatnonzero(recent.any(axis=1))
    if len(live) == 0:
        return out
    length = (periods - start[live]).astype(np.float64)
    keys, inverse = np.unique(np.column_stack([length, recent[live]]), axis=0, return_inverse=True)
    level = np.zeros(len(keys))
    for size in np.unique(keys[:, 0]).astype(np.int64):
        rows = np.flatnonzero(keys[:, 0] == size)
        counts = np.zeros((draws, size))  # how often each week is in each drawn window
        np.add.at(counts, (np.arange(draws)[:, None], (u * size).astype(np.int64)), 1.0)
        counts = np.ascontiguousarray(counts.T)
        for lo in range(0, len(rows), chunk):
            part = rows[lo : lo + chunk]
            level[part] = _level_of_windows(keys[part, 1 + width - size :], counts, horizon)
    out[live] = level[inverse.ravel()][:, None]
    return out


def _level_of_windows(ys: Array, counts: Array, horizon: int) -> Array:
    """The bounded search for series ``ys`` (rows) over the drawn windows (``counts``: weeks ×
    draws). A window enters the loss by its sum and sum of squares only, so windows alike
    within a series are scored once with their count (a sparse series has a few dozen
    distinct windows of 4000)."""
    draws = counts.shape[1]
    total = ys @ counts
    squares = (ys * ys) @ counts
    # distinct (sum, sum of squares) per row, by sorting each row on both
    top = float(ys.max())
    if np.array_equal(ys, np.floor(ys)) and top < 4e4:
        # whole units: sum × base + sum of squares is an exact integer below 2^53, one key
        base = float(horizon * top * top + 1)
        key = np.sort(total * base + squares, axis=1)
        new = np.ones(key.shape, dtype=bool)
        new[:, 1:] = key[:, 1:] != key[:, :-1]
        sums, sqs = np.divmod(key[new], base)
    else:
        both = np.sort(total + 1j * squares, axis=1)  # complex numbers sort by both parts
        new = np.ones(both.shape, dtype=bool)
        new[:, 1:] = both[:, 1:] != both[:, :-1]
        sums, sqs = both.real[new], both.imag[new]
    # one entry per distinct window of each row (row-major), with how often it was drawn
    starts = np.flatnonzero(new.ravel())
    times = np.diff(np.append(starts, new.size)).astype(np.float64)
    kinds = new.sum(axis=1)
    first = np.concatenate([[0], np.cumsum(kinds)[:-1]])
    owner = np.repeat(np.arange(len(ys)), kinds)
    slot = np.arange(len(starts)) - first[owner]
    out = np.zeros(len(ys))
    # rows padded to a width that depends on the row alone (so a series' sums, and with them
    # its level, do not depend on which series it is solved with), batched by that width
    padded = np.maximum(8, 2 ** np.ceil(np.log2(np.maximum(kinds, 1)))).astype(np.int64)
    for width in np.unique(padded):
        same = np.flatnonzero(padded == width)
        step = max(1, 2**18 // int(width))
        for lo in range(0, len(same), step):
            part = same[lo : lo + step]
            entries = (owner, slot, sums, sqs, times)
            out[part] = _level_of_part(part, int(width), entries, ys, horizon, draws)
    return out


def _level_of_part(
    part: NDArray[np.int64],
    width: int,
    entries: tuple[NDArray[np.int64], NDArray[np.int64], Array, Array, Array],
    ys: Array,
    horizon: int,
    draws: int,
) -> Array:
    """The search for rows ``part``, their distinct windows laid out ``width`` wide
    (``entries``: each distinct window's row, place in the row, sum, sum of squares, draws)."""
    owner, slot, sums, sqs, times = entries
    place = np.full(len(ys), -1)
    place[part] = np.arange(len(part))
    take = np.flatnonzero(place[owner] >= 0)
    at = (place[owner[take]], slot[take])
    mean = np.zeros((len(part), width))
    sq = np.zeros((len(part), width))
    weight = np.zeros((len(part), width))
    mean[at] = sums[take] / horizon
    sq[at] = sqs[take] / horizon
    weight[at] = times[take] / draws
    var = np.maximum(sq - mean * mean, 0.0)
    return _bounded_brent(mean, var, weight, ys[part].max(axis=1))


def _bounded_brent(
    mean: Array, var: Array, weight: Array, upper: Array, *, xatol: float = 1e-5
) -> Array:
    """Per row, the minimiser on ``[0, upper]`` of ``c -> sum over windows of
    weight × sqrt(var + (mean - c)²)``: scipy's ``_minimize_scalar_bounded`` step for step (same
    golden-section and parabolic steps, tolerances and stopping rule), run on every row at
    once, each row stopping when scipy's would."""
    sqrt_eps = np.sqrt(2.2e-16)
    golden_mean = 0.5 * (3.0 - np.sqrt(5.0))

    def loss(c: Array) -> Array:
        r = mean - c[:, None]
        r *= r
        r += var
        np.sqrt(r, out=r)
        r *= weight
        f: Array = r.sum(axis=1)
        return f

    result = np.zeros(len(upper))
    pos = np.arange(len(upper))
    a = np.zeros(len(upper))
    b = upper.astype(np.float64).copy()
    fulc = a + golden_mean * (b - a)
    nfc = fulc.copy()
    xf = fulc.copy()
    rat = np.zeros(len(upper))
    e = np.zeros(len(upper))
    fx = loss(xf)
    ffulc = fx.copy()
    fnfc = fx.copy()
    xm = 0.5 * (a + b)
    tol1 = sqrt_eps * np.abs(xf) + xatol / 3.0
    tol2 = 2.0 * tol1
    num = 1
    go = np.abs(xf - xm) > (tol2 - 0.5 * (b - a))
    while go.any() and num < 500:
        if go.sum() < 0.9 * len(go):  # drop the finished rows (the loss is the cost)
            result[pos[~go]] = xf[~go]
            pos, mean, var, weight = pos[go], mean[go], var[go], weight[go]
            a, b, xf, fx, xm, tol1, tol2 = a[go], b[go], xf[go], fx[go], xm[go], tol1[go], tol2[go]
            e, rat, nfc, fnfc, fulc, ffulc = e[go], rat[go], nfc[go], fnfc[go], fulc[go], ffulc[go]
            go = go[go]
        # the step scipy takes from this state: parabolic where acceptable, else golden
        para = np.abs(e) > tol1
        r = (xf - nfc) * (fx - ffulc)
        q = (xf - fulc) * (fx - fnfc)
        p = (xf - fulc) * q - (xf - nfc) * r
        q = 2.0 * (q - r)
        p = np.where(q > 0.0, -p, p)
        q = np.abs(q)
        ok = para & (np.abs(p) < np.abs(0.5 * q * e)) & (p > q * (a - xf)) & (p < q * (b - xf))
        with np.errstate(divide="ignore", invalid="ignore"):
            step = (p + 0.0) / q
        x = xf + step
        near = ((x - a) < tol2) | ((b - x) < tol2)
        si = np.sign(xm - xf) + ((xm - xf) == 0)
        ge = np.where(xf >= xm, a - xf, b - xf)
        new_rat = np.where(ok, np.where(near, tol1 * si, step), golden_mean * ge)
        new_e = np.where(ok, rat, ge)
        si = np.sign(new_rat) + (new_rat == 0)
        x = xf + si * np.maximum(np.abs(new_rat), tol1)
        fu = loss(x)
        num += 1
        better = go & (fu <= fx)
        worse = go & ~(fu <= fx)
        a = np.where(better & (x >= xf), xf, np.where(worse & (x < xf), x, a))
        b = np.where(better & (x < xf), xf, np.where(worse & (x >= xf), x, b))
        shift = worse & ((fu <= fnfc) | (nfc == xf))
        third = worse & ~shift & ((fu <= ffulc) | (fulc == xf) | (fulc == nfc))
        fulc, ffulc = (
            np.where(better | shift, nfc, np.where(third, x, fulc)),
            np.where(better | shift, fnfc, np.where(third, fu, ffulc)),
        )
        nfc, fnfc = (
            np.where(better, xf, np.where(shift, x, nfc)),
            np.where(better, fx, np.where(shift, fu, fnfc)),
        )
        xf = np.where(better, x, xf)
        fx = np.where(better, fu, fx)
        e = np.where(go, new_e, e)
        rat = np.where(go, new_rat, rat)
        xm = 0.5 * (a + b)
        tol1 = sqrt_eps * np.abs(xf) + xatol / 3.0
        tol2 = 2.0 * tol1
        go &= np.abs(xf - xm) > (tol2 - 0.5 * (b - a))
    result[pos] = xf
    return result


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

# Methods whose forecast of a series depends on that series alone, bit for bit: elementwise
# recursions across the rows, or one independent fit per row. The pipeline may run the series
# of many trees through them in one call. Not ``bootstrap_level`` (its matrix products group
# rows in chunks, and BLAS may round a row differently in another chunk), ``global_gbm`` (one
# model across all the rows it is given) nor the ensembles containing them.
ROW_WISE = frozenset(
    {
        "croston_sba_arrays",
        "croston_sba",
        "croston_classic",
        "adida",
        "imapa",
        "tsb",
        "historic_average",
        "auto_ets",
        "naive",
        "seasonal_naive",
        "window_level",
        "ensemble_intermittent",
        "ensemble_sba_window",
    }
)
