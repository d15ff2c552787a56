"""Monthly experience report throughput: analyse N reviews (sentence split, sentiment of every
review and of every sentence with an aspect, aspects and keywords), then an incremental re-run
with 10% new reviews; extrapolates to 6 million reviews a month on two processes.

Reviews are the corpus's own texts with demo-like columns (SKU, store, channel, month).

    OMNIRETAIL_HOME=/tmp/h OMNIRETAIL_DEMO=1 python bench/voice_report.py [--n 20000]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from omniretail.insight.voice import report
from omniretail.insight.voice.corpus import load_corpus
from omniretail.insight.voice.sentiment import default_model


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=20_000)
    args = ap.parse_args()
    texts = np.resize(np.asarray(load_corpus().texts, dtype=object), args.n)
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {
            "review_id": [f"r{i}" for i in range(args.n)],
            "content": texts,
            "created_at": np.where(
                rng.random(args.n) < 0.5, "2026-10-10T10:00:00+08:00", "2026-11-10T10:00:00+08:00"
            ),
            "sku": rng.integers(0, 500, args.n).astype(str),
            "store_code": rng.integers(0, 100, args.n).astype(str),
            "platform": rng.choice(["tmall", "jd", "meituan"], args.n),
        }
    )
    default_model()  # trained or loaded before timing
    with tempfile.TemporaryDirectory() as tmp:
        cache = Path(tmp) / "cache.parquet"
        base = frame.iloc[: int(args.n * 0.9)]
        t = time.perf_counter()
        analysis = report.analyse_incremental(
            base, id_col="review_id", text_col="content", cache=cache
        )
        full = time.perf_counter() - t
        t = time.perf_counter()
        analysis = report.analyse_incremental(
            frame, id_col="review_id", text_col="content", cache=cache
        )
        incr = time.perf_counter() - t
        t = time.perf_counter()
        report.render_html(report.build_report(frame, analysis, month="2026-11"))
        build = time.perf_counter() - t
    rate = len(base) / full
    print(f"analyse {len(base)} reviews: {full:.1f} s ({rate:,.0f} reviews/s on one process)")
    print(f"incremental run with {args.n - len(base)} new reviews: {incr:.1f} s")
    print(f"aggregate + HTML over {args.n} reviews: {build:.2f} s")
    print(f"6M reviews on 2 processes: {6_000_000 / (2 * rate) / 60:.0f} min (target 30)")


if __name__ == "__main__":
    main()
