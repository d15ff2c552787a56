"""Sentiment across domains, with the choice made without the target domain (nested
leave-one-domain-out).

For each target domain (hotel, notebook computers, books): every variant is scored on an
*inner* split of the two other domains — train on one (plus the texts of no domain), test on the
other, both ways — and the variant with the best inner mean is the one chosen for that target;
then every variant is trained on both other domains (plus the texts of no domain) and tested
once on the target. The chosen variants' target figures are the honest cross-domain estimate;
the other rows are printed so the old model's figure comes from the same run.

    python bench/voice_sentiment_domains.py [--variants 0,0.5,0.5:1] [--targets hotel,pc,book]

A variant is an nb_power, optionally with :W, the weight of the weighted-lexicon features, then
any of +rW (the scoped rule features at weight W), +m (negation-marked words among the word
n-grams), +bdomain / +bcell (training texts weighted so every domain, or every domain x label
cell, counts the same): 0.5:1+r1+m+bcell.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

from omniretail.insight.voice.corpus import domain_of, load_corpus
from omniretail.insight.voice.sentiment import SentimentModel
from omniretail.insight.voice.text import normalize, words

DOMAINS = ("hotel", "pc", "book")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument(
        "--variants",
        default="0,0.5,1",
        help="nb_power values, each optionally with :W, the weighted-lexicon weight (0.5:3)",
    )
    ap.add_argument("--targets", default=",".join(DOMAINS))
    args = ap.parse_args()
    powers = args.variants.split(",")
    targets = args.targets.split(",")
    corpus = load_corpus()
    norm = [normalize(t) for t in corpus.texts]
    toks = [words(t) for t in norm]
    y = np.asarray(corpus.labels)
    doms = np.asarray([domain_of(t) for t in corpus.texts])
    idx = {d: np.flatnonzero(doms == d) for d in (*DOMAINS, "other")}
    print({d: len(v) for d, v in idx.items()})

    def accuracy(variant: str, train: np.ndarray, test: np.ndarray) -> float:
        head, *extras = variant.split("+")
        power, _, weighted = head.partition(":")
        model = SentimentModel(nb_power=float(power), weighted=float(weighted or 0))
        for extra in extras:
            if extra.startswith("r"):
                model.rules = float(extra[1:])
            elif extra == "m":
                model.marks = True
            elif extra.startswith("b"):
                model.balance = extra[1:]
            else:
                raise SystemExit(f"unknown variant part {extra!r}")
        model.fit([norm[i] for i in train], list(y[train]))
        scores = model.score_prepared([norm[i] for i in test], [toks[i] for i in test])
        return float(((scores >= 0.5).astype(int) == y[test]).mean())

    chosen: list[float] = []
    by_power: dict[str, list[float]] = {p: [] for p in powers}
    t, c = time.perf_counter(), time.process_time()
    for target in targets:
        a, b = (d for d in DOMAINS if d != target)
        inner = {}
        for p in powers:
            inner[p] = np.mean(
                [
                    accuracy(p, np.concatenate([idx[a], idx["other"]]), idx[b]),
                    accuracy(p, np.concatenate([idx[b], idx["other"]]), idx[a]),
                ]
            )
            held = accuracy(p, np.concatenate([idx[a], idx[b], idx["other"]]), idx[target])
            by_power[p].append(held)
            line = f"{target:6s} variant {p:<16} inner {inner[p]:.4f}  held-out {held:.4f}"
            print(line, flush=True)
        best = max(powers, key=lambda p: inner[p])
        chosen.append(by_power[best][-1])
        print(f"{target:6s} chosen on the inner split: {best}", flush=True)
    for p in powers:
        print(f"variant {p}: held-out mean {np.mean(by_power[p]):.4f}")
    print(f"chosen per target (nested): held-out mean {np.mean(chosen):.4f}")
    wall, cpu = time.perf_counter() - t, time.process_time() - c
    print(f"{wall:.0f} s wall, {cpu:.0f} s CPU, load average {os.getloadavg()}")


if __name__ == "__main__":
    main()
