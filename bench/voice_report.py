"""Monthly experience report throughput: analyse N reviews (sentence split, sentiment of every
review and of every sentence with an aspect, aspects and keywords), then an incremental re-run
with 10% new reviews; extrapolates to 6 million reviews a month on two processes.

Baseline in the same run: the previous path (as of commit 43caaff) — pure-Python jieba, each
review normalised three times and segmented twice (once whole, once per aspect sentence),
aspects matched twice — with the same trained model, on the same reviews. CPU seconds are
reported beside wall seconds because the machine is shared.

Reviews are the corpus's own texts with demo-like columns (SKU, store, channel, month).

    OMNIRETAIL_HOME=/tmp/h OMNIRETAIL_DEMO=1 python bench/voice_report.py [--n 20000] [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from omniretail.insight.voice import report
from omniretail.insight.voice.aspects import aspects_of
from omniretail.insight.voice.corpus import load_corpus
from omniretail.insight.voice.sentiment import default_model
from omniretail.insight.voice.text import has_words, normalize, retail_dictionary_lines, sentences


def _jieba_py() -> Any:
    import logging

    import jieba

    jieba.setLogLevel(logging.WARNING)
    tok = jieba.Tokenizer()
    tok.initialize()
    for line in retail_dictionary_lines():
        parts = line.split()
        if parts:
            tok.add_word(parts[0], int(parts[1]) if len(parts) > 1 else None)
    return tok


def previous_analyse(frame: pd.DataFrame, *, id_col: str, text_col: str) -> pd.DataFrame:
    """The report's analysis as it was before (same outputs, the old work per review)."""
    tok = _jieba_py()
    model = default_model()

    def score(texts: list[str]) -> np.ndarray:  # the old SentimentModel.score
        out = np.full(len(texts), 0.5)
        idx = [i for i, t in enumerate(texts) if has_words(normalize(t))]
        norm = [normalize(texts[i]) for i in idx]
        toks = [[w for w in tok.lcut(t) if w.strip() and has_words(w)] for t in norm]
        if idx:
            out[idx] = model.score_prepared(norm, toks)
        return out

    ids = frame[id_col].astype(str).tolist()
    texts = [normalize(t) for t in frame[text_col].fillna("").astype(str)]
    review_scores = score(texts)
    owners, sents = [], []
    for i, t in enumerate(texts):
        for s in sentences(t):
            if aspects_of(s):
                owners.append(i)
                sents.append(s)
    sent_scores = score(sents) if sents else np.zeros(0)
    aspects: list[dict[str, str]] = [{} for _ in texts]
    for i, s, p in zip(owners, sents, sent_scores, strict=True):
        if p < 0.5:
            for hit in aspects_of(s):
                aspects[i].setdefault(hit.aspect, s)
    return pd.DataFrame(
        {"review_id": ids, "score": review_scores, "neg_aspects": ["|".join(a) for a in aspects]}
    )


def timed(fn: Callable[[], Any]) -> tuple[float, float, Any]:
    w, c = time.perf_counter(), time.process_time()
    out = fn()
    return time.perf_counter() - w, time.process_time() - c, out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=20_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--baseline-n", type=int, default=2_000)
    ap.add_argument("--processes", type=int, default=2, help="0/1: skip the spread run")
    args = ap.parse_args()
    corpus = list(dict.fromkeys(load_corpus().texts))
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
    report.analyse(frame.iloc[:50], id_col="review_id", text_col="content")  # warm-up
    small = frame.iloc[: args.baseline_n]
    print(f"load average at start: {os.getloadavg()}")
    ours, old = [], []
    for run in range(args.runs):
        w0, c0, _ = timed(lambda: previous_analyse(small, id_col="review_id", text_col="content"))
        w1, c1, _ = timed(lambda: report.analyse(small, id_col="review_id", text_col="content"))
        old.append((len(small) / w0, len(small) / c0))
        ours.append((len(small) / w1, len(small) / c1))
        print(
            f"run {run + 1}, {len(small)} reviews: previous {w0:.1f} s wall {c0:.1f} s CPU, "
            f"now {w1:.1f} s wall {c1:.1f} s CPU"
        )
    med = statistics.median
    print(
        f"median reviews/s per process, wall (CPU): previous {med(r[0] for r in old):,.0f} "
        f"({med(r[1] for r in old):,.0f}), now {med(r[0] for r in ours):,.0f} "
        f"({med(r[1] for r in ours):,.0f})"
    )
    with tempfile.TemporaryDirectory() as tmp:
        cache = Path(tmp) / "cache.parquet"
        base = frame.iloc[: int(args.n * 0.9)]
        full, full_cpu, analysis = timed(
            lambda: report.analyse_incremental(
                base, id_col="review_id", text_col="content", cache=cache
            )
        )
        incr, _, analysis = timed(
            lambda: report.analyse_incremental(
                frame, id_col="review_id", text_col="content", cache=cache
            )
        )
        build, _, _ = timed(
            lambda: report.render_html(report.build_report(frame, analysis, month="2026-11"))
        )
    rate, cpu_rate = len(base) / full, len(base) / full_cpu
    print(
        f"analyse {len(base)} reviews (corpus texts, each distinct): {full:.1f} s wall, "
        f"{full_cpu:.1f} s CPU ({rate:,.0f} reviews/s wall, {cpu_rate:,.0f} per CPU second)"
    )
    print(f"incremental run with {args.n - len(base)} new reviews: {incr:.1f} s")
    print(f"aggregate + HTML over {args.n} reviews: {build:.2f} s")
    print(
        f"6M reviews on 2 processes: {6_000_000 / (2 * rate) / 60:.0f} min at this wall rate, "
        f"{6_000_000 / (2 * cpu_rate) / 60:.0f} min at the CPU rate (target 30)"
    )
    if args.processes > 1:
        # The step as it runs a big month: the work spread over worker processes (their start
        # included), against one process in the same run, on every distinct corpus text.
        every = pd.DataFrame(
            {"review_id": [f"c{i}" for i in range(len(corpus))], "content": corpus}
        )
        w1, _, one = timed(
            lambda: report.analyse(every, id_col="review_id", text_col="content", processes=1)
        )
        wp, _, many = timed(
            lambda: report.analyse(
                every, id_col="review_id", text_col="content", processes=args.processes
            )
        )
        pd.testing.assert_frame_equal(one, many)
        print(
            f"{len(every):,} distinct reviews: 1 process {w1:.1f} s wall "
            f"({len(every) / w1:,.0f}/s), {args.processes} processes {wp:.1f} s wall "
            f"({len(every) / wp:,.0f}/s, workers' start included, same rows) -> 6M reviews in "
            f"{6_000_000 / (len(every) / wp) / 60:.0f} min"
        )
    print(f"load average at end: {os.getloadavg()}")


if __name__ == "__main__":
    main()
