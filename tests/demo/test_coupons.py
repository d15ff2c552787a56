"""Every coupon redeemed in the demo world was issued before it was used: POS coupons by the
store's issue ledger, app and mini-program coupons by their ``Coupon Claimed`` events."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from omniretail.demo.layout import read_export
from omniretail.demo.world import GENERATOR_VERSION


def _issued(world_dir: Path) -> pd.Series:
    """Issue time per coupon code (the earliest, local wall clock)."""
    ledger = read_export(world_dir, "exports/pos/coupons.csv").to_pandas()
    pos = pd.Series(pd.to_datetime(ledger["发放时间"]).values, index=ledger["券号"])
    claims = {}
    with (world_dir / "exports/events/events.jsonl").open(encoding="utf-8") as fh:
        for line in fh:
            if '"Coupon Claimed"' in line:
                e = json.loads(line)
                at = pd.Timestamp(e["timestamp"]).tz_localize(None)
                code = e["properties"]["coupon"]
                claims[code] = min(at, claims.get(code, at))
    both = pd.concat([pos, pd.Series(claims, dtype="datetime64[ns]")])
    return both.groupby(level=0).min()


def _redeemed(world_dir: Path) -> pd.DataFrame:
    """(code, used at) of every order that carries a coupon code, any status."""
    sales = read_export(world_dir, "exports/pos/sales.csv").to_pandas()
    sales = sales[sales["优惠券号"].fillna("") != ""]
    mini = read_export(world_dir, "exports/miniprogram/orders.jsonl").to_pandas()
    mini = mini[mini["couponId"].notna()]
    app = read_export(world_dir, "exports/app/orders.parquet").to_pandas()
    app = app[app["coupon_code"].notna()]
    parts = [
        pd.DataFrame({"code": sales["优惠券号"], "at": pd.to_datetime(sales["销售时间"])}),
        pd.DataFrame({"code": mini["couponId"], "at": pd.to_datetime(mini["createTime"])}),
        pd.DataFrame({"code": app["coupon_code"], "at": pd.to_datetime(app["created_at"])}),
    ]
    return pd.concat(parts).groupby("code", as_index=False)["at"].min()


def test_every_redeemed_coupon_was_issued_before_use(world_dir: Path) -> None:
    issued = _issued(world_dir)
    used = _redeemed(world_dir)
    assert len(used) > 50
    missing = used[~used.code.isin(issued.index)]
    assert missing.empty, f"{len(missing)} redeemed coupons never issued: {missing.head()}"
    late = used[used["at"].to_numpy() < issued.reindex(used["code"]).to_numpy()]
    assert late.empty, f"{len(late)} coupons used before they were issued: {late.head()}"
    assert len(issued) >= len(used)
    # most issued coupons go unused, as in a real chain's member programme
    assert 0.2 < len(used) / len(issued) < 0.8


def test_world_json_records_the_generator_version(small_world) -> None:  # type: ignore[no-untyped-def]
    meta = json.loads((small_world.out / "world.json").read_text(encoding="utf-8"))
    assert meta["version"] == GENERATOR_VERSION
    assert meta["files"]["exports/pos/coupons.csv"] > 0
