"""Sentiment model: training time, validation accuracy and scoring speed.

Accuracy: (1) 5-fold cross-validation grouped by near-duplicate group (texts sharing their first
or last 12 characters stay in one fold), (2) cross-domain: train on two of the corpus's domains
(hotel, notebook computers, books), test on the third. Speed: reviews per second scored on one
process, after a warm-up, with a character-n-gram-only logistic regression as the baseline.

    python bench/voice_sentiment.py [--folds 5] [--speed-n 20000] [--no-cross] [--only previous]

``--only model`` / ``--only previous`` runs the accuracy part for one of the two (two processes
side by side on a shared machine) and skips the timing part.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

from omniretail.insight.voice.corpus import domain_of, load_corpus, near_duplicate_groups
from omniretail.insight.voice.sentiment import SentimentModel


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--speed-n", type=int, default=20_000)
    ap.add_argument(
        "--no-cross", action="store_true", help="skip the plain cross-domain split (the domains "
        "bench runs the nested one)",
    )  # fmt: skip
    ap.add_argument("--only", choices=("model", "previous"), default=None)
    args = ap.parse_args()
    from sklearn.model_selection import GroupKFold

    corpus = load_corpus()
    texts = np.asarray(corpus.texts, dtype=object)
    labels = np.asarray(corpus.labels)
    groups = np.asarray(near_duplicate_groups(corpus.texts))
    print(f"corpus: {len(texts)} unique reviews, {len(set(groups))} near-duplicate groups")
    # the shipped model and, in the same run, the previous one (v4: no scoped rule features, no
    # negation marks, no balancing)
    variants = {
        "model": SentimentModel,
        "previous (v4)": lambda: SentimentModel(rules=0.0, marks=False, balance=""),
    }
    if args.only:
        variants = {k: v for k, v in variants.items() if k.startswith(args.only)}
    for name, make in variants.items():
        accs = []
        for tr, te in GroupKFold(args.folds).split(texts, labels, groups):
            m = make().fit(list(texts[tr]), list(labels[tr]))
            accs.append(float((m.label(list(texts[te])) == labels[te]).mean()))
        print(f"{name}: grouped {args.folds}-fold CV {np.round(accs, 3)} mean {np.mean(accs):.4f}")
    domains = np.asarray([domain_of(t) for t in texts])
    for name, make in variants.items() if not args.no_cross else ():
        cross = []
        for d in ("hotel", "pc", "book"):
            tr, te = domains != d, domains == d
            m = make().fit(list(texts[tr]), list(labels[tr]))
            cross.append(float((m.label(list(texts[te])) == labels[te]).mean()))
            print(f"{name}: cross-domain, train on the others, test on {d} ({te.sum()}): "
                  f"{cross[-1]:.4f}")  # fmt: skip
        print(f"{name}: cross-domain mean {np.mean(cross):.4f}")
    if args.only:
        print(f"load average {os.getloadavg()}")
        return
    t, c = time.perf_counter(), time.process_time()
    model = SentimentModel().fit(list(texts), list(labels))
    wall, cpu = time.perf_counter() - t, time.process_time() - c
    print(f"training on all: {wall:.1f} s wall, {cpu:.1f} s CPU")
    sample = list(np.resize(texts, args.speed_n))
    model.score(sample[:500])
    t, c = time.perf_counter(), time.process_time()
    model.score(sample)
    ours = args.speed_n / (time.perf_counter() - t)
    ours_cpu = args.speed_n / (time.process_time() - c)
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    vec = TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True, min_df=2)
    base = LogisticRegression(C=4, solver="liblinear").fit(vec.fit_transform(texts), labels)
    t, c = time.perf_counter(), time.process_time()
    base.predict_proba(vec.transform(sample))
    baseline = args.speed_n / (time.perf_counter() - t)
    base_cpu = args.speed_n / (time.process_time() - c)
    print(
        f"scoring: {ours:,.0f} reviews/s wall, {ours_cpu:,.0f}/CPU-s (char-n-gram LR baseline "
        f"{baseline:,.0f} reviews/s wall, {base_cpu:,.0f}/CPU-s)"
    )
    print(f"load average {os.getloadavg()}")


if __name__ == "__main__":
    main()
