"""Service assistant latency: answer every FAQ paraphrase and every out-of-scope test question
(no customer: FAQ path) R times after one warm-up pass; prints p50/p95/p99 in milliseconds and
the same for BM25 alone, rank-bm25's loop (the baseline) and the
precomputed matrix the index uses, in the same run.

    python bench/assistant_latency.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import numpy as np

from omniretail.care.assistant import service
from omniretail.care.assistant.faq import load_faq
from omniretail.care.assistant.retrieval import _tokens, prepare


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    data = Path(__file__).resolve().parents[1] / "tests" / "care" / "assistant" / "data"
    oos = [
        ln.strip()
        for ln in (data / "oos_test.txt").read_text("utf-8").splitlines()
        if ln.strip() and not ln.startswith("#")
    ]
    questions = [q for i in load_faq() for q in i.questions] + oos
    t0 = time.perf_counter()
    index = service.default_index()
    build = time.perf_counter() - t0
    for q in questions:
        service.ask(None, question=q, index=index)
    full: list[float] = []
    bm25: list[float] = []
    matrix: list[float] = []
    for _ in range(args.repeat):
        for q in questions:
            t = time.perf_counter()
            service.ask(None, question=q, index=index)
            full.append((time.perf_counter() - t) * 1000)
            t = time.perf_counter()
            index._bm25.get_scores(_tokens(prepare(q)))
            bm25.append((time.perf_counter() - t) * 1000)
            t = time.perf_counter()
            index.bm25_scores(_tokens(prepare(q)))
            matrix.append((time.perf_counter() - t) * 1000)
    for name, xs in (("ask (full)", full), ("bm25 (rank-bm25)", bm25), ("bm25 (matrix)", matrix)):
        p50, p95, p99 = np.percentile(xs, [50, 95, 99])
        print(f"{name}: n={len(xs)} p50={p50:.2f} ms p95={p95:.2f} ms p99={p99:.2f} ms")
    print(f"index build {build:.1f} s; median {statistics.median(full):.2f} ms")


if __name__ == "__main__":
    main()
