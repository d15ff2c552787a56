"""The accuracy protocol: rolling-origin windows, RMSSE and MASE, honest model selection.

For ``windows`` test windows of ``horizon`` periods at the end of the data (step = horizon),
each method is fitted on everything before a window's first period and forecasts the window.
Per series and window:

    RMSSE = sqrt(mean((y - f)^2) / mean(diff(y_in)^2))
    MASE  = mean|y - f| / mean|diff(y_in)|

where ``y_in`` is the in-sample history with its leading zeros trimmed (the one-step naive
forecast's in-sample error). Scores are averaged over series and windows.

Selection is nested: the same number of windows placed *before* the first test window (so
they use no test data) rank the candidates, and the lowest validation RMSSE is the selected
method, reported on the test windows like any other.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from omniretail.insight.forecast.errors import TooShortHistory, UnknownMethod
from omniretail.insight.forecast.methods import BASELINES, Array, Method, catalogue


def scaled_errors(forecast: Array, history: Array, actual: Array) -> tuple[Array, Array]:
    """Per-series RMSSE and MASE of one window (NaN where the in-sample scale is 0).

    The scale is the in-sample one-step naive error from each series' first non-zero period
    (leading zeros trimmed), computed for all series at once."""
    y = np.asarray(history, dtype=np.float64)
    d = np.diff(y, axis=1)
    first = np.where(y.any(axis=1), np.argmax(y != 0, axis=1), 0)
    keep = np.arange(d.shape[1])[None, :] >= first[:, None]
    count = keep.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        s2 = np.where(keep, d**2, 0.0).sum(axis=1) / count
        s1 = np.where(keep, np.abs(d), 0.0).sum(axis=1) / count
        e = np.asarray(actual, dtype=np.float64) - forecast
        rmsse = np.where(s2 > 0, np.sqrt(np.mean(e**2, axis=1) / s2), np.nan)
        mase = np.where(s1 > 0, np.mean(np.abs(e), axis=1) / s1, np.nan)
    return rmsse, mase


def cutoffs(periods: int, *, horizon: int, windows: int, offset: int = 0) -> list[int]:
    """First period of each of ``windows`` windows ending ``offset`` windows before the end."""
    end = periods - offset * horizon * windows
    return [end - horizon * (windows - k) for k in range(windows)]


def score(method: Method, values: Array, cuts: Iterable[int], horizon: int) -> dict[str, float]:
    r, m = [], []
    for cut in cuts:
        hist = values[:, :cut]
        fc = method(hist, horizon)
        rr, mm = scaled_errors(fc, hist, values[:, cut : cut + horizon])
        r.append(rr)
        m.append(mm)
    return {
        "rmsse": round(float(np.nanmean(np.concatenate(r))), 4),
        "mase": round(float(np.nanmean(np.concatenate(m))), 4),
    }


def evaluate(
    values: Array,
    *,
    horizon: int,
    windows: int,
    season_length: int,
    methods: list[str] | None = None,
    on_method: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Score every method on the test windows and select one on the windows before them."""
    cat = catalogue(season_length)
    names = methods or list(cat)
    unknown = [n for n in names if n not in cat]
    if unknown:
        raise UnknownMethod(
            f"unknown method(s) {', '.join(unknown)}; available: {', '.join(cat)}",
            field="methods",
        )
    names = list(dict.fromkeys([*BASELINES, *names]))
    periods = values.shape[1]
    need = 2 * horizon * windows + 2
    if horizon < 1 or windows < 1 or periods < need:
        raise TooShortHistory(
            f"{periods} periods of history; {windows} test windows of {horizon} plus as many "
            f"for model selection need at least {need}",
            field="windows",
        )
    test_cuts = cutoffs(periods, horizon=horizon, windows=windows)
    val_cuts = cutoffs(periods, horizon=horizon, windows=windows, offset=1)
    results: dict[str, dict[str, float]] = {}
    validation: dict[str, float] = {}
    seconds: dict[str, float] = {}
    for name in names:
        if on_method:
            on_method(name)
        t0 = time.perf_counter()
        results[name] = score(cat[name], values, test_cuts, horizon)
        validation[name] = score(cat[name], values, val_cuts, horizon)["rmsse"]
        seconds[name] = round(time.perf_counter() - t0, 2)
    chosen = min(validation, key=lambda n: (validation[n], n))
    return {
        "results": {**results, "selected": {**results[chosen], "method": chosen}},
        "selection": {
            "method": chosen,
            "rule": "lowest mean RMSSE on the windows before the first test window",
            "validation_rmsse": validation,
            "validation_cutoffs": val_cuts,
        },
        "test_cutoffs": test_cuts,
        "seconds": seconds,
    }
