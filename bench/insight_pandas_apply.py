"""The per-customer order aggregates (``ins_customer_orders``, the same 52 columns) written the
way tag scripts are most often written in pandas: one function that computes a customer's tags
from that customer's rows, run with ``groupby(...).apply``; beside it, in the same run and on
the same Parquet files, the features stage's own SQL and the vectorised pandas of
``bench.insight_refresh`` (named ``groupby().agg``). Both pandas results are checked equal to
the stage's before any time is reported.

    python -m bench.insight_pandas_apply --customers 30000 --runs 3

The apply version is not made slow on purpose: it reads and merges exactly as the vectorised
one does (the same ``pandas_read``, the same merges), and the per-customer function uses the
usual vectorised calls inside a customer (``value_counts``, ``nunique``, boolean sums). Only
the shape differs: a Python call per customer instead of one aggregation per column.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
from functools import partial
from pathlib import Path
from typing import Any

import pandas as pd
from bench.insight_refresh import (
    _cpu_wall,
    _equal_to_stage,
    emit,
    member_orders,
    paid_product_lines,
    pandas_customer_orders,
    pandas_read,
    peak_rss_mb,
    stage_on_world,
)
from bench.insight_world import write_world

DAYPART_NAMES = ["morning", "afternoon", "evening", "night"]


def _top(values: pd.Series, weights: pd.Series | None = None) -> tuple[Any, Any, int, Any]:
    """The most frequent (or heaviest) value, ties to the smallest; its score, the number of
    distinct values, and the runner-up."""
    if weights is None:
        counts = values.value_counts()
    else:
        counts = weights.groupby(values).sum()
    if counts.empty:
        return None, None, 0, None
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    second = ranked[1][0] if len(ranked) > 1 else None
    return ranked[0][0], ranked[0][1], len(ranked), second


def customer_order_tags(o: pd.DataFrame) -> pd.Series:
    """A customer's order tags from the customer's orders (every status)."""
    out: dict[str, Any] = {
        "returned_orders": int((o.status == "returned").sum()),
        "cancelled_orders": int((o.status == "cancelled").sum()),
        "returns_total": float(
            -o.paid_amount[(o.status == "returned") & (o.paid_amount < 0)].sum()
        ),
    }
    p = o[o.status == "paid"]
    if p.empty:
        return pd.Series(out)
    d = p.days_ago
    amount = p.paid_amount
    out.update(
        orders_total=len(p),
        orders_30d=int((d < 30).sum()),
        orders_90d=int((d < 90).sum()),
        orders_180d=int((d < 180).sum()),
        orders_365d=int((d < 365).sum()),
        orders_prev_365d=int(((d >= 365) & (d < 730)).sum()),
        sales_total=amount.sum(),
        sales_30d=amount[d < 30].sum(),
        sales_90d=amount[d < 90].sum(),
        sales_365d=amount[d < 365].sum(),
        sales_prev_365d=amount[(d >= 365) & (d < 730)].sum(),
        max_order_amount=amount.max(),
        gross_total=p.gross_amount.sum(),
        discount_total=p.discount_amount.sum(),
        units_total=p.units.sum(),
        lines_total=p.lines.sum(),
        coupon_orders=int(p.coupon_code.notna().sum()),
        online_orders=int(p.online.sum()),
        offline_orders=int((~p.online).sum()),
        delivery_orders=int(p.fulfillment.isin(["delivery", "express"]).sum()),
        weekend_orders=int((p.weekday >= 6).sum()),
        first_order_day=p.order_day.min(),
        last_order_day=p.order_day.max(),
        purchase_days=p.order_day.nunique(),
        active_months_12m=p.order_day[d < 365].dt.to_period("M").nunique(),
        channel_count=p.channel_code.nunique(),
        store_count=p.store_code.nunique(),
    )
    daypart = pd.cut(p.ordered_at.dt.hour, [-1, 10, 16, 20, 24], labels=DAYPART_NAMES)
    out["preferred_daypart"] = _top(daypart.astype(str))[0]
    out["preferred_weekday"] = _top(p.weekday)[0]
    out["preferred_payment"] = _top(p.payment_method.dropna())[0]
    out["preferred_fulfillment"] = _top(p.fulfillment.dropna())[0]
    out["top_order_channel"] = _top(p.channel_code.dropna())[0]
    st = p[p.store_code.notna() & (d < 365)]
    if not st.empty:
        per_store = st.groupby("store_code").days_ago.agg(["size", "min"])
        score = per_store["size"] * 100000 - per_store["min"]
        out["store_preference"] = _top(pd.Series(score.index), pd.Series(score.values))[0]
    return pd.Series(out)


def customer_product_tags(lines: pd.DataFrame) -> pd.Series:
    """A customer's product tags from the customer's paid lines (with the product's
    attributes)."""
    per_sku = lines.groupby("sku").agg(
        units=("quantity", "sum"),
        new_units=("new_units", "sum"),
        price_index_units=("price_index", "sum"),
        replenish_days=("replenish_days", "first"),
    )
    known = per_sku.replenish_days.notna()
    out: dict[str, Any] = {
        "distinct_skus": len(per_sku),
        "new_product_units": per_sku.new_units.sum(),
        "sku_units": per_sku.units.sum(),
        "price_index_units": per_sku.price_index_units.sum(),
        "replenish_days": (
            (per_sku.replenish_days[known] * per_sku.units[known]).sum()
            / per_sku.units[known].sum()
            if known.any()
            else float("nan")
        ),
    }
    top, units, n, second = _top(lines.category_code, lines.quantity)
    out.update(top_category=top, second_category=second, category_count=n, top_category_units=units)
    out["top_parent_category"] = _top(lines.parent_category_code, lines.quantity)[0]
    top, _, n, _ = _top(lines.brand, lines.quantity)
    out.update(top_brand=top, brand_count=n)
    top, _, n, _ = _top(lines.flavor, lines.quantity)
    out.update(top_flavor=top, flavor_count=n)
    out["favorite_sku"] = _top(lines.sku, lines.quantity)[0]
    return pd.Series(out)


def pandas_apply_customer_orders(t: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """``ins_customer_orders`` by ``groupby("customer_id").apply`` of the two functions above,
    after the same merges as the vectorised version."""
    f = member_orders(t)
    per_order = f.groupby("customer_id").apply(customer_order_tags, include_groups=False)
    if isinstance(per_order, pd.Series):  # apply returned one Series: unstack to columns
        per_order = per_order.unstack()
    per_order = per_order.infer_objects()
    pl = paid_product_lines(t, f[f.status == "paid"])
    pl["replenish_days"] = pl.replenish_days.astype(float)
    per_product = pl.groupby("customer_id").apply(customer_product_tags, include_groups=False)
    if isinstance(per_product, pd.Series):
        per_product = per_product.unstack()
    per_product = per_product.infer_objects()
    return per_order.join(per_product, how="left")


def measure(customers: int, runs: int, threads: int, memory: str, world: Path | None) -> dict:
    report: dict[str, Any] = {"load_average_start": [round(x, 1) for x in os.getloadavg()]}
    with tempfile.TemporaryDirectory() as tmp:
        if world is None:
            world = Path(tmp) / "world"
            write_world(world, customers=customers, threads=threads)
        engine, report["world"], stage = stage_on_world(world, threads, memory)

        times: dict[str, list[tuple[float, float]]] = {
            k: [] for k in ("stage", "pandas_read", "pandas_vectorised", "pandas_apply")
        }
        vec = app = None
        for _ in range(runs):
            times["stage"].append(_cpu_wall(stage)[:2])
            w, c, frames = _cpu_wall(partial(pandas_read, world))
            times["pandas_read"].append((w, c))
            w, c, vec = _cpu_wall(partial(pandas_customer_orders, frames))
            times["pandas_vectorised"].append((w, c))
            w, c, app = _cpu_wall(partial(pandas_apply_customer_orders, frames))
            times["pandas_apply"].append((w, c))
            del frames
        assert vec is not None
        assert app is not None
        report["vectorised_equals_stage"] = _equal_to_stage(engine, vec)
        report["apply_equals_stage"] = _equal_to_stage(engine, app)
        engine.close()
    report["rss_peak_mb"] = round(peak_rss_mb(), 0)
    for k, v in times.items():
        report[f"{k}_wall_s"] = round(statistics.median(x[0] for x in v), 2)
        report[f"{k}_cpu_s"] = round(statistics.median(x[1] for x in v), 2)
    for unit in ("wall", "cpu"):
        stage_s = report[f"stage_{unit}_s"]
        read = report[f"pandas_read_{unit}_s"]
        for kind in ("vectorised", "apply"):
            total = read + report[f"pandas_{kind}_{unit}_s"]
            report[f"pandas_{kind}_vs_stage_{unit}"] = round(total / stage_s, 1)
    report["load_average_end"] = [round(x, 1) for x in os.getloadavg()]
    return report


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--customers", type=int, default=30_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--memory", default="4GB")
    ap.add_argument("--world", type=Path, default=None, help="A Parquet world to use.")
    ap.add_argument("--out", type=Path, default=None, help="Write the JSON report here too.")
    args = ap.parse_args()
    report = measure(args.customers, args.runs, args.threads, args.memory, args.world)
    emit(report, args.out)


if __name__ == "__main__":
    main()
