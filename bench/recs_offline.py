"""Benchmark: offline accuracy and speed of every recommender on three data sets.

Run: ``.venv/bin/python bench/recs_offline.py [--runs 3] [--world DIR] [--out FILE.json]``

1. MovieLens-100k with the Microsoft Recommenders protocol (per-user stratified 75/25 split,
   seed 42, seen items removed, every test rating relevant, k = 10) — compare with its
   published table (SAR nDCG@10 0.382, BPR 0.442, BiVAE 0.475). The file ships in the
   ``recbole`` wheel: ``pip install --no-deps recbole==1.2.1`` (only its data files are read).
2. The real UCI Online Retail II sample in ../shared/data (skipped when absent): random split
   and a time split (last 25 % of time), with and without repurchases counted as hits.
3. The demo world (``--world DIR`` from ``omniretail demo-world``; generated at scale 0.1 in a
   temporary directory when omitted): paid lines of the POS, app and mini-program exports
   linked to persons, product attributes from ``exports/master/products.csv``.

Each configuration runs ``--runs`` times; metrics are deterministic, timings are medians.
The baseline is the popularity recommender measured in the same run.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import platform
import statistics
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from omniretail.insight.recommend import available
from omniretail.insight.recommend.evaluate import catalog_from_interactions, evaluate

REPO = Path(__file__).resolve().parents[1]
UCI = REPO.parent / "shared" / "data" / "online_retail_II_sample.xlsx"
ALL = ["popularity", "itemknn", "sar", "als", "ease", "content", "hybrid", "two_tower"]
SKIP: set[str] = set()
ML_PARAMS: dict[str, dict[str, Any]] = {
    "als": {"binary": True, "factors": 32, "alpha": 5.0, "regularization": 0.1},
    "two_tower": {"epochs": 20, "dim": 64},
}


def runs_of(n: int, frame: pd.DataFrame, **kwargs: Any) -> dict[str, Any]:
    reports = [evaluate(frame, **kwargs) for _ in range(n)]
    out = reports[0]
    for algo, res in out["results"].items():
        for key in ("train_seconds", "inference_seconds"):
            res[key] = round(statistics.median(r["results"][algo][key] for r in reports), 4)
    return out


def movielens(runs: int) -> dict[str, Any] | None:
    spec = importlib.util.find_spec("recbole")
    if spec is None or not spec.submodule_search_locations:
        return None
    root = Path(next(iter(spec.submodule_search_locations)))
    ratings = pd.read_csv(root / "dataset_example/ml-100k/ml-100k.inter", sep="\t")
    ratings.columns = [c.split(":")[0] for c in ratings.columns]
    algos = [a for a in ALL if a in available() and a not in ("content", "hybrid", *SKIP)]
    return runs_of(
        runs,
        ratings,
        user_col="user_id",
        item_col="item_id",
        time_col="timestamp",
        rating_col="rating",
        algorithms=algos,
        params=ML_PARAMS,
    )


def uci(runs: int) -> dict[str, Any] | None:
    if not UCI.exists():
        return None
    sheets = pd.read_excel(UCI, sheet_name=None)
    frame = pd.concat(sheets.values(), ignore_index=True)
    frame = frame[~frame["Invoice"].astype(str).str.startswith("C") & (frame["Quantity"] > 0)]
    items = catalog_from_interactions(frame, item_col="StockCode", text_col="Description")
    common = {
        "user_col": "Customer ID",
        "item_col": "StockCode",
        "time_col": "InvoiceDate",
        "items": items,
        "algorithms": [a for a in ALL if a in available() and a not in SKIP],
    }
    return {
        "random": runs_of(runs, frame, split="random", **common),
        "time_new_products": runs_of(runs, frame, split="time", **common),
        "time_with_repurchase": runs_of(runs, frame, split="time", remove_seen=False, **common),
    }


def demo_world(runs: int, world: Path | None) -> dict[str, Any]:
    from omniretail.demo.uplift_eval import purchase_history

    tmp = None
    if world is None:
        from omniretail.demo import generate_world

        tmp = tempfile.TemporaryDirectory()
        world = Path(tmp.name) / "world"
        generate_world(world, scale=0.1, seed=42)
    history = purchase_history(world)
    products = pd.read_csv(world / "exports/master/products.csv", dtype={"sku": str})
    common = {
        "user_col": "person_id",
        "item_col": "sku",
        "time_col": "ordered_at",
        "items": products,
        "algorithms": [a for a in ALL if a in available() and a not in SKIP],
    }
    out = {
        "lines": len(history),
        "random": runs_of(runs, history, split="random", **common),
        "time_new_products": runs_of(runs, history, split="time", **common),
        "time_with_repurchase": runs_of(runs, history, split="time", remove_seen=False, **common),
    }
    if tmp is not None:
        tmp.cleanup()
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--world", type=Path)
    ap.add_argument("--out", type=Path)
    ap.add_argument("--only", choices=["movielens", "uci", "demo"], action="append")
    ap.add_argument("--skip", action="append", default=[], help="algorithm to leave out")
    args = ap.parse_args()
    SKIP.update(args.skip)
    only = set(args.only or ["movielens", "uci", "demo"])
    t0 = time.perf_counter()
    report: dict[str, Any] = {
        "machine": f"{platform.machine()} {platform.processor() or ''} 2-core shared".strip(),
        "date": date.today().isoformat(),
        "runs": args.runs,
    }
    if "movielens" in only:
        report["movielens_100k"] = movielens(args.runs)
    if "uci" in only:
        report["uci_online_retail_ii"] = uci(args.runs)
    if "demo" in only:
        report["demo_world"] = demo_world(args.runs, args.world)
    report["seconds"] = round(time.perf_counter() - t0, 1)
    text = json.dumps(report, ensure_ascii=False, indent=1, default=str)
    if args.out:
        args.out.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
