"""The monthly customer-experience report: volume, negative share, NPS (where surveys give a
0–10 score), the top negative aspects and keywords with example sentences, movers against the
previous month with a two-proportion z-test, and drill-down per SKU, store, channel and region;
written as one self-contained HTML file a manager can forward.

Incremental: each review's analysis (negative or not, negative aspects and their cue words,
example sentence) is kept in a Parquet cache keyed by review id; a re-run scores only reviews
it has not seen."""

from __future__ import annotations

import math
import multiprocessing
import os
import re
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from omniretail.insight.voice.aspects import ASPECT_LABELS, AspectHit, aspects_of
from omniretail.insight.voice.errors import MissingTextColumn
from omniretail.insight.voice.sentiment import default_model
from omniretail.insight.voice.text import normalize, sentences
from omniretail.insight.voice.text import words as segment

DIMENSIONS = {
    "sku": "商品 SKU",
    "store_code": "门店",
    "platform": "渠道",
    "channel": "渠道",
    "region": "区域",
}
_DIGITS = re.compile(r"\d{7,}")


def mask(text: str) -> str:
    """Examples leave the system in a forwarded file: long digit runs (phones, orders) masked."""
    return _DIGITS.sub(lambda m: m.group(0)[:3] + "****", text)


def _score_unique(norm: list[str], tokens: list[list[str]], *, batch: int = 20_000) -> np.ndarray:
    model = default_model()
    parts = [
        model.score_prepared(norm[i : i + batch], tokens[i : i + batch])
        for i in range(0, len(norm), batch)
    ]
    return np.concatenate(parts) if parts else np.zeros(0)


PARALLEL_MIN = 100_000
"""Distinct review texts from which ``analyse`` spreads the work over the machine's cores: a
worker costs a few seconds to start (imports, the model, the dictionary), about what one
process needs for 10,000 reviews, so below this one process is as fast."""


def _analyse_distinct(raw: list[str]) -> tuple[np.ndarray, list[str], list[str], list[str]]:
    """Score, negative aspects, their cue words and examples of each of ``raw`` (distinct texts).

    Each text is normalised, split and scored once, and each distinct sentence segmented and
    matched to aspects once: a review's words are its sentences' words (jieba segments between
    punctuation anyway), so the review score and the sentence scores share one segmentation."""
    texts = [normalize(t) for t in raw]
    seg: dict[str, list[str]] = {}
    hits: dict[str, list[AspectHit]] = {}
    review_sents: list[list[str]] = []
    for t in texts:
        parts = sentences(t)
        review_sents.append(parts)
        for sent in parts:
            if sent not in seg:
                seg[sent] = segment(sent)
                hits[sent] = aspects_of(sent)
    review_scores = _score_unique(texts, [[w for p in ss for w in seg[p]] for ss in review_sents])
    with_aspects = [sent for sent, h in hits.items() if h]
    sent_scores = dict(
        zip(with_aspects, _score_unique(with_aspects, [seg[x] for x in with_aspects]), strict=True)
    )
    aspects: list[dict[str, str]] = [{} for _ in texts]
    keywords: list[dict[str, str]] = [{} for _ in texts]
    for i, ss in enumerate(review_sents):
        for sent in ss:
            if not hits[sent] or sent_scores[sent] >= 0.5:
                continue
            for hit in hits[sent]:
                aspects[i].setdefault(hit.aspect, sent)
                keywords[i].setdefault(hit.aspect, hit.keyword)
    return (
        review_scores,
        ["|".join(a) for a in aspects],
        ["|".join(k.values()) for k in keywords],
        ["\u241e".join(mask(v) for v in a.values()) for a in aspects],
    )


def _processes(distinct: int, processes: int | None) -> int:
    if processes is not None:
        return max(1, processes)
    if distinct < PARALLEL_MIN:
        return 1
    return max(
        1,
        min(
            len(os.sched_getaffinity(0))
            if hasattr(os, "sched_getaffinity")
            else (os.cpu_count() or 1),
            8,
        ),
    )


def _analyse_spread(
    raw: list[str], processes: int
) -> tuple[np.ndarray, list[str], list[str], list[str]]:
    """``_analyse_distinct`` over ``processes`` worker processes, in contiguous slices of ``raw``.

    Workers start from a clean interpreter (``forkserver`` where the platform has it, else
    ``spawn``; never ``fork``: the pipeline's process holds DuckDB's threads) and load the
    trained model from the user cache, which the caller has filled before they start."""
    default_model()  # trained and cached once, here, before any worker looks for it
    step = -(-len(raw) // processes)
    chunks = [raw[i : i + step] for i in range(0, len(raw), step)]
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
    with ProcessPoolExecutor(max_workers=len(chunks), mp_context=context) as pool:
        parts = list(pool.map(_analyse_distinct, chunks))
    return (
        np.concatenate([p[0] for p in parts]),
        [x for p in parts for x in p[1]],
        [x for p in parts for x in p[2]],
        [x for p in parts for x in p[3]],
    )


def analyse(
    frame: pd.DataFrame, *, id_col: str, text_col: str, processes: int | None = None
) -> pd.DataFrame:
    """Per review: ``negative`` (review score < 0.5), ``neg_aspects`` ('|'-joined codes of aspects
    in negative sentences), ``neg_keywords`` and one ``example`` negative sentence per aspect.

    Each distinct review text is analysed once (``_analyse_distinct``). From ``PARALLEL_MIN``
    distinct texts the work is spread over the cores this process may use (at most 8), unless
    ``processes`` says how many; the result is the same either way."""
    ids = frame[id_col].astype(str).tolist()
    raw = frame[text_col].fillna("").astype(str).tolist()
    index: dict[str, int] = {}
    where = np.fromiter((index.setdefault(t, len(index)) for t in raw), dtype=np.int64)
    distinct = list(index)
    n = _processes(len(distinct), processes)
    if n > 1 and len(distinct) > 1:
        review_scores, neg_aspects, neg_keywords, examples = _analyse_spread(distinct, n)
    else:
        review_scores, neg_aspects, neg_keywords, examples = _analyse_distinct(distinct)
    scores = review_scores[where] if len(raw) else np.zeros(0)
    return pd.DataFrame(
        {
            "review_id": ids,
            "score": scores.round(4),
            "negative": scores < 0.5,
            "neg_aspects": [neg_aspects[j] for j in where],
            "neg_keywords": [neg_keywords[j] for j in where],
            "examples": [examples[j] for j in where],
        }
    )


def analyse_incremental(
    frame: pd.DataFrame, *, id_col: str, text_col: str, cache: Path | None
) -> pd.DataFrame:
    done = pd.read_parquet(cache) if cache is not None and cache.exists() else None
    if done is not None:
        new = frame[~frame[id_col].astype(str).isin(set(done["review_id"]))]
    else:
        new = frame
    fresh = analyse(new, id_col=id_col, text_col=text_col) if len(new) else None
    parts = [p for p in (done, fresh) if p is not None]
    result = (
        pd.concat(parts, ignore_index=True)
        if parts
        else analyse(frame, id_col=id_col, text_col=text_col)
    )
    if cache is not None and fresh is not None:
        cache.parent.mkdir(parents=True, exist_ok=True)
        result.to_parquet(cache, index=False)
    return result


def two_proportion_p(k1: int, n1: int, k0: int, n0: int) -> float:
    """Two-sided p-value of a difference between k1/n1 and k0/n0 (pooled z-test)."""
    if n1 == 0 or n0 == 0:
        return 1.0
    p = (k1 + k0) / (n1 + n0)
    se = math.sqrt(p * (1 - p) * (1 / n1 + 1 / n0))
    if se == 0:
        return 1.0
    z = (k1 / n1 - k0 / n0) / se
    return math.erfc(abs(z) / math.sqrt(2))


@dataclass
class MonthlyReport:
    month: str
    volume: int
    negative_share: float
    previous_volume: int
    previous_negative_share: float | None
    nps: float | None
    aspects: list[dict[str, Any]]
    keywords: list[tuple[str, int]]
    drilldown: dict[str, list[dict[str, Any]]]


def build_report(
    frame: pd.DataFrame,
    analysis: pd.DataFrame,
    *,
    month: str,
    id_col: str = "review_id",
    time_col: str = "created_at",
    nps_col: str | None = "nps",
) -> MonthlyReport:
    df = frame.copy()
    df["_id"] = df[id_col].astype(str)
    df = df.merge(analysis, left_on="_id", right_on="review_id", how="left", suffixes=("", "_a"))
    df["_month"] = pd.to_datetime(df[time_col], errors="coerce", utc=True).dt.strftime("%Y-%m")
    prev = (pd.Period(month, freq="M") - 1).strftime("%Y-%m")
    cur, last = df[df["_month"] == month], df[df["_month"] == prev]
    if time_col not in frame.columns:
        raise MissingTextColumn(f"文件中没有时间列 {time_col!r}", field="time_col")

    def aspect_counts(part: pd.DataFrame) -> dict[str, int]:
        out: dict[str, int] = {}
        for codes in part["neg_aspects"].fillna(""):
            for c in filter(None, str(codes).split("|")):
                out[c] = out.get(c, 0) + 1
        return out

    now_c, prev_c = aspect_counts(cur), aspect_counts(last)
    aspects = []
    for code, label in ASPECT_LABELS.items():
        k1, k0 = now_c.get(code, 0), prev_c.get(code, 0)
        if not k1 and not k0:
            continue
        examples = [
            ex
            for codes, exs in zip(
                cur["neg_aspects"].fillna(""), cur["examples"].fillna(""), strict=True
            )
            for c, ex in zip(str(codes).split("|"), str(exs).split("\u241e"), strict=False)
            if c == code and ex
        ][:3]
        rate = k1 / max(len(cur), 1)
        rate0 = k0 / max(len(last), 1) if len(last) else None
        p = two_proportion_p(k1, len(cur), k0, len(last))
        aspects.append(
            {
                "code": code, "label": label, "count": k1, "rate": rate, "previous_rate": rate0,
                "change": None if rate0 is None else rate - rate0, "p_value": p,
                "significant": p < 0.05, "examples": examples,
            }
        )  # fmt: skip
    aspects.sort(key=lambda a: -int(str(a["count"])))
    kw: dict[str, int] = {}
    for words in cur["neg_keywords"].fillna(""):
        for w in filter(None, str(words).split("|")):
            kw[w] = kw.get(w, 0) + 1
    nps = None
    if nps_col and nps_col in cur.columns:
        s = pd.to_numeric(cur[nps_col], errors="coerce").dropna()
        if len(s):
            nps = float(100 * ((s >= 9).mean() - (s <= 6).mean()))
    drill: dict[str, list[dict[str, Any]]] = {}
    for col in DIMENSIONS:
        if col not in cur.columns:
            continue
        g = cur.groupby(cur[col].fillna("—").astype(str))
        table = pd.DataFrame({"volume": g.size(), "negative_share": g["negative"].mean()})
        table = table.sort_values("volume", ascending=False).head(20)
        drill[col] = [
            {"key": k, "volume": int(r.volume), "negative_share": float(r.negative_share)}
            for k, r in table.iterrows()
        ]
    return MonthlyReport(
        month=month,
        volume=len(cur),
        negative_share=float(cur["negative"].mean()) if len(cur) else 0.0,
        previous_volume=len(last),
        previous_negative_share=float(last["negative"].mean()) if len(last) else None,
        nps=nps,
        aspects=aspects,
        keywords=sorted(kw.items(), key=lambda kv: -kv[1])[:20],
        drilldown=drill,
    )


def render_html(report: MonthlyReport) -> str:
    from jinja2 import Environment

    template = (
        resources.files("omniretail.insight.voice")
        .joinpath("report_template.html")
        .read_text(encoding="utf-8")
    )
    env = Environment(autoescape=True)
    return env.from_string(template).render(r=report, dims=DIMENSIONS)
