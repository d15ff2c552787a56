"""Level estimators tried against ``bootstrap_level`` on an imported source (issue 12).

Every variant is scored like the catalogue's methods (``evaluation.score``: RMSSE per series
and window, averaged) on the validation windows (the 3 before the test windows, which the
nested selection uses) and on the test windows; the test figures are printed for the record
only. A variant could replace the selection only by a validation RMSSE below
``bootstrap_level``'s by more than two paired standard errors on both UCI sources (the
per-series mean difference over the validation windows; ~100 variants are compared on the
same 300 series × windows, so a difference of about two standard errors is what the best of
them shows by chance).

Variants (all forecast one level per series and window):
- robust levels of the last ``lb`` weeks from the first sale: trimmed means (largest weeks
  dropped), winsorised means, median of block means;
- statsforecast's Theta family and TSB over a grid of smoothing constants;
- ``bootstrap_level`` on pre-treated history: moving blocks of weeks, weeks winsorised, weeks
  capped at k × the median selling week, or *order lines* capped (bulk orders) before the
  weekly sums — the forecast is always scored against the real weeks;
- order lines as a compound Poisson process (a Poisson number of lines a week, quantities
  resampled from the series' lines), the level chosen on the same loss as ``bootstrap_level``;
- ``bootstrap_level``'s ratio to the series mean shrunk toward the median ratio of all series;
- stacks: non-negative weights of level estimators, one set for all series, fitted at every
  origin strictly before the window (from week 16 or 26) by minimising the protocol's own mean
  RMSSE (not least squares);
- per-series selection: each series' best estimator on the earlier origins, blended with the
  best one over all series (λ = weight of the series' own choice).

    OMNIRETAIL_HOME=… python bench/forecast_variants.py --source uci_all_lines

reads the published snapshot (``omniretail import`` + ``omniretail quality reprocess
--publish`` first) and prints one line per variant, then the JSON of all of them.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable

import numpy as np
from scipy.optimize import minimize, minimize_scalar

from omniretail.insight.forecast import methods as M
from omniretail.insight.forecast import series
from omniretail.insight.forecast.evaluation import cutoffs, scaled_errors
from omniretail.insight.forecast.methods import Array, Method, trim_leading_zeros
from omniretail.platform.engine import open_published

H = 8
WINDOWS = 3


def level_of(fn: Callable[[Array], float], lookback: int) -> Method:
    def run(history: Array, horizon: int) -> Array:
        out = np.zeros((history.shape[0], horizon))
        for i, y in enumerate(history):
            yy = trim_leading_zeros(y)[-lookback:]
            if np.any(yy):
                out[i] = fn(yy)
        return out

    return run


def trimmed(frac: float) -> Callable[[Array], float]:
    def f(y: Array) -> float:
        s = np.sort(y)
        return float(s[: max(len(s) - int(frac * len(s)), 1)].mean())

    return f


def winsorised(q: float) -> Callable[[Array], float]:
    return lambda y: float(np.minimum(y, np.quantile(y, q)).mean())


def median_of_means(block: int) -> Callable[[Array], float]:
    def f(y: Array) -> float:
        n = len(y) // block
        if n < 1:
            return float(y.mean())
        return float(np.median(y[len(y) - n * block :].reshape(n, block).mean(axis=1)))

    return f


U = np.random.default_rng(0).random((4000, H))  # bootstrap_level's own draws


def _best_constant(sims: Array, hi: float) -> float:
    res = minimize_scalar(
        lambda c: float(np.sqrt(((sims - c) ** 2).mean(axis=1)).mean()),
        bounds=(0.0, hi),
        method="bounded",
    )
    return float(res.x)


def boot_on(pre: Callable[[Array], Array] | None = None, block: int = 1) -> Method:
    """``bootstrap_level`` (52 weeks) on pre-treated weeks, or with moving blocks of weeks."""

    def run(history: Array, horizon: int) -> Array:
        out = np.zeros((history.shape[0], horizon))
        for i, y in enumerate(history):
            yy = trim_leading_zeros(y)[-52:]
            if not np.any(yy):
                continue
            if pre is not None:
                yy = pre(yy)
            n = len(yy)
            if block == 1:
                idx = (U[:, :horizon] * n).astype(np.int64)
            else:
                nb = -(-horizon // block)
                starts = (U[:, :nb] * max(n - block + 1, 1)).astype(np.int64)
                idx = (starts[:, :, None] + np.arange(block)).reshape(len(U), -1)[:, :horizon]
                idx = np.minimum(idx, n - 1)
            out[i] = _best_constant(yy[idx], float(yy.max()))
        return out

    return run


def cap_nonzero(k: float) -> Callable[[Array], Array]:
    return lambda y: np.minimum(y, k * np.median(y[y > 0]))


def shape_shrunk(lam: float) -> Method:
    boot = M.memoised(M.bootstrap_level)

    def run(history: Array, horizon: int) -> Array:
        b = boot(history, horizon)[:, 0]
        mean = np.array([trim_leading_zeros(y)[-52:].mean() for y in history])
        ok = mean > 0
        ratio = np.where(ok, b / np.where(ok, mean, 1.0), 0.0)
        level = mean * (lam * ratio + (1 - lam) * np.median(ratio[ok]))
        return np.repeat(level[:, None], horizon, axis=1)

    return run


def sf(name: str, **kw: float) -> Method:
    return M._per_series(M._sf(name, **kw))


class Lines:
    """The panel's sale lines (series row, period, quantity) for line-level capping."""

    def __init__(self, engine: object, source: str, keys: list[str], start: object) -> None:
        lines = series.demand_lines_sql(
            source, table_lines="std_order_lines", table_orders="std_orders"
        )
        p = series.period_sql("week", "ordered_at")
        t = engine.fetch_arrow(  # type: ignore[attr-defined]
            f"SELECT sku, {p} AS period, quantity FROM ({lines}) x"
        )
        row = {k: i for i, k in enumerate(keys)}
        sku = t.column("sku").to_pylist()
        keep = np.array([s in row for s in sku])
        self.i = np.array([row[s] for s, k in zip(sku, keep, strict=True) if k], dtype=np.int64)
        per = [d for d, k in zip(t.column("period").to_pylist(), keep, strict=True) if k]
        self.t = np.array([(d - start).days // 7 for d in per], dtype=np.int64)
        self.q = np.asarray(t.column("quantity").to_numpy(), dtype=np.float64)[keep]

    def capped(self, n: int, cut: int, cap: Callable[[Array], float]) -> Array:
        m = (self.t < cut) & (self.t >= 0)
        caps = np.full(n, np.inf)
        for i in range(n):
            q = self.q[m & (self.i == i)]
            if len(q):
                caps[i] = cap(q)
        out = np.zeros((n, cut))
        np.add.at(out, (self.i[m], self.t[m]), np.minimum(self.q[m], caps[self.i[m]]))
        return out

    def compound_poisson(self, rate_weeks: int, size_weeks: int) -> Method:
        """The level that minimises the mean window RMSE over 4,000 simulated windows whose
        weeks hold Poisson(λ) order lines, λ the series' lines a week over the last
        ``rate_weeks`` (from its first sale), each line's quantity resampled from its lines of
        the last ``size_weeks``: the week-to-week spread comes from the count of orders and
        their sizes separately, not from the year's ~52 observed weeks alone."""

        def run(history: Array, horizon: int) -> Array:
            cut = history.shape[1]
            out = np.zeros((history.shape[0], horizon))
            for i, y in enumerate(history):
                sold = np.flatnonzero(y)
                if not len(sold):
                    continue
                start = max(int(sold[0]), cut - rate_weeks)
                mine = (self.i == i) & (self.t < cut)
                lam = float((mine & (self.t >= start)).sum()) / (cut - start)
                sizes = self.q[mine & (self.t >= cut - size_weeks)]
                if not len(sizes):
                    continue
                rng = np.random.default_rng(1)  # the same stream for every series
                count = rng.poisson(lam, (len(U), horizon))
                draws = sizes[rng.integers(0, len(sizes), int(count.sum()))]
                sims = np.zeros(count.size)
                np.add.at(sims, np.repeat(np.arange(count.size), count.ravel()), draws)
                sims = sims.reshape(count.shape)
                out[i] = _best_constant(sims, float(sims.max()) + 1e-9)
            return out

        return run


def per_window(method: Method, values: Array, cuts: list[int], history_of=None) -> Array:
    """RMSSE per series and window (windows concatenated), scaled on the real history."""
    out = []
    for c in cuts:
        hist = values[:, :c] if history_of is None else history_of(c)
        r, _ = scaled_errors(method(hist, H), values[:, :c], values[:, c : c + H])
        out.append(r)
    return np.concatenate(out)


class Origins:
    """Level estimators at every origin, for stacks and per-series selection."""

    FEATURES: dict[str, Method] = {
        "bootstrap_level": M.bootstrap_level,
        "bootstrap_104": lambda h, k: M.bootstrap_level(h, k, lookback=104),
        "bootstrap_26": lambda h, k: M.bootstrap_level(h, k, lookback=26),
        "croston_sba": M.croston_sba_arrays,
        "window_level": M.window_level,
        "trimmed_5_104": level_of(trimmed(0.05), 104),
        "winsorised_90_52": level_of(winsorised(0.9), 52),
        "mean_13": level_of(np.mean, 13),
        "mean_52": level_of(np.mean, 52),
        "mean_104": level_of(np.mean, 104),
        "median_of_means_4_104": level_of(median_of_means(4), 104),
        "median_52": level_of(np.median, 52),
        "q75_52": level_of(lambda y: float(np.quantile(y, 0.75)), 52),
    }

    def __init__(self, values: Array, first: int = 16) -> None:
        n, periods = values.shape
        self.origins = list(range(first, periods - H + 1))
        self.at = {t: j for j, t in enumerate(self.origins)}
        self.f = {k: np.zeros((n, len(self.origins))) for k in self.FEATURES}
        self.s2 = np.full((n, len(self.origins)), np.nan)
        self.y = np.zeros((n, len(self.origins), H))
        for j, t in enumerate(self.origins):
            h = values[:, :t]
            for k, fn in self.FEATURES.items():
                self.f[k][:, j] = fn(h, H)[:, 0]
            d = np.diff(h, axis=1)
            first_sale = np.where(h.any(axis=1), np.argmax(h != 0, axis=1), 0)
            keep = np.arange(d.shape[1])[None, :] >= first_sale[:, None]
            with np.errstate(all="ignore"):
                self.s2[:, j] = np.where(keep, d**2, 0.0).sum(axis=1) / keep.sum(axis=1)
            self.y[:, j] = values[:, t : t + H]

    def rmsse(self, level: Array, j: int) -> Array:
        e = ((self.y[:, j] - level[:, None]) ** 2).mean(axis=1)
        s2 = self.s2[:, j]
        with np.errstate(all="ignore"):
            return np.where(s2 > 0, np.sqrt(e / s2), np.nan)

    def before(self, cut: int, first: int) -> list[int]:
        return [self.at[t] for t in range(first, cut - H + 1) if t in self.at]

    def stack(self, keys: list[str], first: int) -> Callable[[int], Array]:
        x = np.stack([self.f[k] for k in keys], axis=-1)

        def level(cut: int) -> Array:
            js = self.before(cut, first)
            xs, ys, s2 = x[:, js], self.y[:, js], self.s2[:, js]
            ok = np.isfinite(s2) & (s2 > 0)

            def loss(w: Array) -> float:
                f = xs @ w
                e = np.sqrt(((ys - f[..., None]) ** 2).mean(axis=-1) / np.where(ok, s2, 1.0))
                return float(e[ok].mean())

            w = minimize(
                loss, np.full(len(keys), 1 / len(keys)), method="L-BFGS-B",
                bounds=[(0, None)] * len(keys),
            ).x  # fmt: skip
            return np.maximum(x[:, self.at[cut]] @ w, 0.0)

        return level

    def per_series(self, keys: list[str], lam: float, first: int = 26) -> Callable[[int], Array]:
        def level(cut: int) -> Array:
            js = self.before(cut, first)
            sc = np.stack(
                [np.nanmean(np.stack([self.rmsse(self.f[k][:, j], j) for j in js]), 0)
                 for k in keys], axis=1,
            )  # fmt: skip
            best = int(np.nanargmin(np.nanmean(sc, axis=0)))
            own = np.argmin(np.where(np.isnan(sc), np.inf, sc), axis=1)
            j = self.at[cut]
            mine = np.array([self.f[keys[o]][i, j] for i, o in enumerate(own)])
            return lam * mine + (1 - lam) * self.f[keys[best]][:, j]

        return level

    def scores(self, level: Callable[[int], Array], cuts: list[int]) -> Array:
        return np.concatenate([self.rmsse(level(c), self.at[c]) for c in cuts])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--source", required=True)
    ap.add_argument("--top", type=int, default=100)
    ap.add_argument("--only", default="", help="run only the variants whose name contains this")
    args = ap.parse_args()
    eng = open_published()
    if eng is None:
        raise SystemExit("nothing is published: import the file and publish first")
    with eng:
        panel = series.top_sku_panel(eng, source=args.source, freq="week", top=args.top)
        lines = Lines(eng, args.source, panel.keys, panel.start)
    v = panel.values
    n, periods = v.shape
    val = cutoffs(periods, horizon=H, windows=WINDOWS, offset=1)
    test = cutoffs(periods, horizon=H, windows=WINDOWS)
    ref_val = per_window(M.bootstrap_level, v, val)
    results: dict[str, dict[str, float]] = {}

    def wanted(name: str) -> bool:
        return args.only in name

    def record(name: str, rv: Array, rt: Array) -> None:
        d = (rv - ref_val).reshape(WINDOWS, n).mean(axis=0)  # per series, over the windows
        d = d[np.isfinite(d)]
        results[name] = {
            "validation": round(float(np.nanmean(rv)), 4),
            "test": round(float(np.nanmean(rt)), 4),
            "validation_minus_bootstrap_level": round(float(d.mean()), 4),
            "paired_se": round(float(d.std(ddof=1) / np.sqrt(len(d))), 4),
        }
        r = results[name]
        print(
            f"{name:44s} val {r['validation']:.4f} test {r['test']:.4f} "
            f"Δval {r['validation_minus_bootstrap_level']:+.4f} ± {r['paired_se']:.4f}",
            flush=True,
        )

    def method(name: str, m: Method, history_of=None) -> None:
        if not wanted(name):
            return
        record(name, per_window(m, v, val, history_of), per_window(m, v, test, history_of))

    t0 = time.perf_counter()
    method("bootstrap_level (selected today)", M.bootstrap_level)
    for lb in (26, 52, 104):
        for frac in (0.05, 0.1, 0.2):
            method(f"trimmed mean, top {frac:.0%} dropped, {lb} w", level_of(trimmed(frac), lb))
        for q in (0.8, 0.9, 0.95):
            method(f"winsorised mean at q{q:.2f}, {lb} w", level_of(winsorised(q), lb))
        for b in (2, 4, 8):
            method(f"median of {b}-week means, {lb} w", level_of(median_of_means(b), lb))
    for name in ("Theta", "OptimizedTheta", "DynamicOptimizedTheta"):
        method(name, sf(name))
    for ad in (0.05, 0.1, 0.2, 0.3):
        for ap_ in (0.05, 0.1, 0.2, 0.3):
            method(f"TSB alpha_d {ad} alpha_p {ap_}", sf("TSB", alpha_d=ad, alpha_p=ap_))
    for block in (2, 4):
        method(f"bootstrap_level, moving blocks of {block} weeks", boot_on(block=block))
    for q in (0.9, 0.95, 0.98):
        method(f"bootstrap_level, weeks winsorised at q{q}",
               boot_on(lambda y, q=q: np.minimum(y, np.quantile(y, q))))  # fmt: skip
    for k in (3, 5, 8):
        method(f"bootstrap_level, weeks capped at {k}x median sale week", boot_on(cap_nonzero(k)))
    caps: list[tuple[str, Callable[[Array], float]]] = [
        *[(f"q{q}", lambda x, q=q: float(np.quantile(x, q))) for q in (0.9, 0.95, 0.99)],
        *[(f"{k}x median line", lambda x, k=k: float(k * np.median(x))) for k in (3, 5, 10)],
    ]
    for label, cap in caps:
        method(f"bootstrap_level, order lines capped at {label}", M.bootstrap_level,
               lambda c, cap=cap: lines.capped(n, c, cap))  # fmt: skip
    for lam in (0.0, 0.25, 0.5, 0.75):
        method(f"bootstrap_level ratio shrunk, lambda {lam}", shape_shrunk(lam))
    for rate in (26, 52, 104):
        for size in (52, 104):
            method(f"order lines as compound Poisson, rate {rate} w, sizes {size} w",
                   lines.compound_poisson(rate, size))  # fmt: skip
    print(f"# single methods: {time.perf_counter() - t0:.0f} s", flush=True)
    if args.only and not any(
        wanted(w) for w in ("origin feature", "stack from week", "per-series selection")
    ):
        print(json.dumps({"source": args.source, "results": results}, ensure_ascii=False,
                         indent=1))  # fmt: skip
        return

    o = Origins(v)
    for k in o.FEATURES:
        if k != "bootstrap_level":
            lv = lambda c, k=k: o.f[k][:, o.at[c]]  # noqa: E731
            record(f"origin feature {k}", o.scores(lv, val), o.scores(lv, test))
    stacks = [
        ["bootstrap_level"],
        ["bootstrap_level", "croston_sba"],
        ["bootstrap_level", "mean_13", "median_52", "q75_52"],
        ["bootstrap_level", "bootstrap_104", "bootstrap_26"],
        ["bootstrap_level", "croston_sba", "mean_13", "trimmed_5_104", "median_of_means_4_104"],
        list(o.FEATURES),
    ]
    for keys in stacks:
        for first in (16, 26):
            lv = o.stack(keys, first)
            label = " + ".join(keys) if len(keys) < len(o.FEATURES) else "all 13 estimators"
            record(f"stack from week {first}: {label}", o.scores(lv, val), o.scores(lv, test))
    cands = ["bootstrap_level", "croston_sba", "window_level", "trimmed_5_104",
             "median_of_means_4_104", "mean_13", "bootstrap_104", "bootstrap_26"]  # fmt: skip
    for lam in (0.25, 0.5, 1.0):
        lv = o.per_series(cands, lam)
        record(f"per-series selection, lambda {lam}", o.scores(lv, val), o.scores(lv, test))
    print(f"# all: {time.perf_counter() - t0:.0f} s", flush=True)
    best = min(results, key=lambda k: results[k]["validation"])
    print(json.dumps({"source": args.source, "best_on_validation": best, "results": results},
                     ensure_ascii=False, indent=1))  # fmt: skip


if __name__ == "__main__":
    main()
